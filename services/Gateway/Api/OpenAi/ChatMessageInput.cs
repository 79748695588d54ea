using System.Text.Json;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>One turn of <c>messages</c>; <c>content</c> is a string, null, or an array of text parts.</summary>
public sealed class ChatMessageInput
{
    public string? Role { get; set; }

    public JsonElement? Content { get; set; }

    /// <summary>An assistant turn's calls: <c>[{"id", "type": "function", "function": {"name", "arguments"}}]</c>.</summary>
    public JsonElement? ToolCalls { get; set; }

    /// <summary>A <c>tool</c> turn: the call it answers.</summary>
    public string? ToolCallId { get; set; }
}
