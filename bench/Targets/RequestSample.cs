namespace SlmCluster.Bench.Targets;

/// <summary>What one request cost, as its client saw it.</summary>
internal readonly record struct RequestSample(TimeSpan TimeToFirstToken, TimeSpan EndToEnd, int CompletionTokens)
{
    /// <summary>Time per output token after the first.</summary>
    public TimeSpan TimePerOutputToken => CompletionTokens > 1
        ? (EndToEnd - TimeToFirstToken) / (CompletionTokens - 1)
        : TimeSpan.Zero;
}
