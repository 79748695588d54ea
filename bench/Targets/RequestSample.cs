namespace SlmCluster.Bench.Targets;

/// <summary>
/// What one request cost, as its client saw it; <paramref name="ServerTime"/> is the serving engine's own account of
/// the request (arrival in its queue to the last token, as the worker reports in <c>served.total_ms</c>), when the
/// target reports one.
/// </summary>
internal readonly record struct RequestSample(TimeSpan TimeToFirstToken, TimeSpan EndToEnd, int CompletionTokens, TimeSpan? ServerTime = null)
{
    /// <summary>End to end minus the engine's own time: the transport, the hops and the serving code around the engine.</summary>
    public TimeSpan? OutsideEngine => ServerTime is { } server ? EndToEnd - server : null;

    /// <summary>Time per output token after the first.</summary>
    public TimeSpan TimePerOutputToken => CompletionTokens > 1
        ? (EndToEnd - TimeToFirstToken) / (CompletionTokens - 1)
        : TimeSpan.Zero;
}
