namespace SlmCluster.Bench.Targets;

/// <summary>
/// What one request cost, as its client saw it. <paramref name="ServerTime"/> and <paramref name="ServerTimeToFirstToken"/>
/// are the serving engine's own account of the request (from its arrival in the engine's queue to the last token and
/// to the first, as the engine's result has them and the front door reports in <c>served.total_ms</c> and
/// <c>served.time_to_first_token_ms</c>), when the target reports them.
/// </summary>
internal readonly record struct RequestSample(
    TimeSpan TimeToFirstToken,
    TimeSpan EndToEnd,
    int CompletionTokens,
    TimeSpan? ServerTime = null,
    TimeSpan? ServerTimeToFirstToken = null)
{
    /// <summary>End to end minus the engine's own time: the transport, the hops and the serving code around the engine.</summary>
    public TimeSpan? OutsideEngine => ServerTime is { } server ? EndToEnd - server : null;

    /// <summary>Time to first token minus the engine's own: the way in and the first token's way out, without the prefill.</summary>
    public TimeSpan? FirstTokenOutsideEngine => ServerTimeToFirstToken is { } server ? TimeToFirstToken - server : null;

    /// <summary>Time per output token after the first.</summary>
    public TimeSpan TimePerOutputToken => CompletionTokens > 1
        ? (EndToEnd - TimeToFirstToken) / (CompletionTokens - 1)
        : TimeSpan.Zero;
}
