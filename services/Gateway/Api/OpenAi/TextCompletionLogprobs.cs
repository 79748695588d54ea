namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// <c>choices[i].logprobs</c> of a legacy text completion (or of one streamed chunk): parallel lists, one item per
/// token.
/// </summary>
public sealed class TextCompletionLogprobs
{
    public required IReadOnlyList<string> Tokens { get; init; }

    public required IReadOnlyList<float> TokenLogprobs { get; init; }

    /// <summary>
    /// Per token, the <c>logprobs</c> most likely tokens there and the chosen one (up to <c>logprobs</c> + 1 entries),
    /// token text to logprob.
    /// </summary>
    public required IReadOnlyList<Dictionary<string, float>> TopLogprobs { get; init; }

    /// <summary>Where each token's text starts in the completion's text (UTF-16 code units; streamed: in the whole completion).</summary>
    public required IReadOnlyList<int> TextOffset { get; init; }
}
