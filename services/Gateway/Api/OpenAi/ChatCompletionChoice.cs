using System.Text.Json.Serialization;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>One choice of a whole chat completion.</summary>
public sealed class ChatCompletionChoice
{
    public int Index { get; init; }

    public required ChatMessageOutput Message { get; init; }

    /// <summary>The content's token logprobs when the request asked (<c>logprobs: true</c>), else null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public ChatCompletionLogprobs? Logprobs { get; init; }

    public required string FinishReason { get; init; }
}
