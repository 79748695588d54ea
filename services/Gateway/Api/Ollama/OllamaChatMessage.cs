using System.Text.Json;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>One turn of <c>/api/chat</c>'s <c>messages</c>, and the assistant's message of its answer.</summary>
public sealed class OllamaChatMessage
{
    public string? Role { get; set; }

    public string? Content { get; set; }

    /// <summary>Read to be refused unless empty.</summary>
    public JsonElement? Images { get; set; }

    /// <summary>Read to be refused unless empty: tool calls are not served on the Ollama API yet.</summary>
    public JsonElement? ToolCalls { get; set; }
}
