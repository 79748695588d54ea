using System.Text.Json.Serialization;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>The assistant's message in a whole chat completion: its text, or (content null) the calls it made.</summary>
public sealed class ChatMessageOutput
{
    public string Role => "assistant";

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public required string? Content { get; init; }

    public List<OpenAiToolCall>? ToolCalls { get; init; }
}
