using System.Text.Json;
using System.Text.Json.Serialization;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>One choice of a text completion (or a piece of it, when streamed).</summary>
public sealed class TextCompletionChoice
{
    public required string Text { get; init; }

    public int Index { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public JsonElement? Logprobs => null;

    /// <summary>Null in every streamed chunk but the last one with a choice.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}
