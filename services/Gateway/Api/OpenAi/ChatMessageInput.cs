using System.Text.Json;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>One turn of <c>messages</c>; <c>content</c> is a string, null, or an array of text parts.</summary>
public sealed class ChatMessageInput
{
    public string? Role { get; set; }

    public JsonElement? Content { get; set; }
}
