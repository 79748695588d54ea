using System.Text.Json;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>The body of <c>POST /api/chat</c>.</summary>
public sealed class OllamaChatRequest : OllamaGenerationRequest
{
    public List<OllamaChatMessage?>? Messages { get; set; }

    /// <summary>Tools the model may call: refused unless empty, until the Ollama API serves tool calls.</summary>
    public JsonElement? Tools { get; set; }
}
