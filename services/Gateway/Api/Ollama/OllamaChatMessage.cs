using System.Text.Json;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>One turn of <c>/api/chat</c>'s <c>messages</c>, and the assistant's message of its answer.</summary>
public sealed class OllamaChatMessage
{
    public string? Role { get; set; }

    public string? Content { get; set; }

    /// <summary>Read to be refused unless empty.</summary>
    public JsonElement? Images { get; set; }

    /// <summary>An assistant turn's calls, each <c>{"function": {"name", "arguments": {...}}}</c>.</summary>
    public JsonElement? ToolCalls { get; set; }

    /// <summary>A <c>tool</c> turn's function, naming the call its content answers.</summary>
    public string? ToolName { get; set; }

    /// <summary>A <c>tool</c> turn's call id, when the call had one.</summary>
    public string? ToolCallId { get; set; }
}
