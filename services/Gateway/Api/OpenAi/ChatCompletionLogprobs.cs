namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary><c>choices[i].logprobs</c> of a chat completion (or of one streamed chunk: the entries of its delta).</summary>
public sealed class ChatCompletionLogprobs
{
    /// <summary>One entry per token of the content, in order.</summary>
    public required IReadOnlyList<ChatTokenLogprob> Content { get; init; }
}
