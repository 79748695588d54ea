using System.Text.Json.Serialization;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>One choice of a text completion (or a piece of it, when streamed).</summary>
public sealed class TextCompletionChoice
{
    public required string Text { get; init; }

    public int Index { get; init; }

    /// <summary>The text's token logprobs when the request asked (<c>logprobs</c> 0 to 5), else null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public TextCompletionLogprobs? Logprobs { get; init; }

    /// <summary>Null in every streamed chunk but the last one with a choice.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}
