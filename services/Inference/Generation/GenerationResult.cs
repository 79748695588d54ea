namespace SlmCluster.Inference;

/// <summary>How a generation ended and what it cost.</summary>
/// <param name="FinishReason">Why it ended.</param>
/// <param name="PromptTokens">Tokens in the prompt as decoded (after the chat template, with BOS).</param>
/// <param name="CompletionTokens">Tokens generated, end-of-generation token not counted.</param>
/// <param name="TimeToFirstToken">From the request's start to the first generated token (zero when none was generated).</param>
/// <param name="Total">From the request's start to its end, queueing included.</param>
public sealed record GenerationResult(
    GenerationFinishReason FinishReason,
    int PromptTokens,
    int CompletionTokens,
    TimeSpan TimeToFirstToken,
    TimeSpan Total)
{
    /// <summary>
    /// Prompt tokens whose KV cache entries were reused from an earlier request in the same slot (a shared prefix),
    /// so they were not decoded again. Included in <see cref="PromptTokens"/>.
    /// </summary>
    public int ReusedPromptTokens { get; init; }
}
