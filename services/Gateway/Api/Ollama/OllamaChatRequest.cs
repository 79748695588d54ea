using System.Text.Json;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>The body of <c>POST /api/chat</c>.</summary>
public sealed class OllamaChatRequest : OllamaGenerationRequest
{
    public List<OllamaChatMessage?>? Messages { get; set; }

    /// <summary>Function tools the model may call (<see cref="OllamaTools"/>); it chooses text or calls.</summary>
    public JsonElement? Tools { get; set; }
}
