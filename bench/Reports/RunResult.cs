using SlmCluster.Bench.Targets;

namespace SlmCluster.Bench.Reports;

/// <summary>
/// One target at one concurrency: throughput, latency percentiles and memory; <paramref name="TtftOutsideEngineP50Ms"/> is the
/// p50 of the time to first token minus the engine's own, when the target reports the engine's.
/// </summary>
internal sealed record RunResult(
    string Target,
    int Concurrency,
    int MaxTokens,
    int Requests,
    long Tokens,
    double WallSeconds,
    double TokensPerSecond,
    double TtftP50Ms,
    double TtftP99Ms,
    double TpotP50Ms,
    double TpotP99Ms,
    double E2eP50Ms,
    double E2eP99Ms,
    long? PeakRssBytes,
    double? TtftOutsideEngineP50Ms = null)
{
    public static RunResult From(string target, int concurrency, int maxTokens, RequestSample[] samples, TimeSpan wall, long? peakRss)
    {
        var tokens = samples.Sum(s => (long)s.CompletionTokens);
        return new RunResult(target, concurrency, maxTokens, samples.Length, tokens, wall.TotalSeconds, tokens / wall.TotalSeconds,
            Percentile(samples.Select(s => s.TimeToFirstToken), 50), Percentile(samples.Select(s => s.TimeToFirstToken), 99),
            Percentile(samples.Select(s => s.TimePerOutputToken), 50), Percentile(samples.Select(s => s.TimePerOutputToken), 99),
            Percentile(samples.Select(s => s.EndToEnd), 50), Percentile(samples.Select(s => s.EndToEnd), 99),
            peakRss,
            samples.Length > 0 && samples.All(s => s.FirstTokenOutsideEngine is not null)
                ? Percentile(samples.Select(s => s.FirstTokenOutsideEngine!.Value), 50)
                : null);
    }

    /// <summary>Nearest-rank percentile in milliseconds.</summary>
    internal static double Percentile(IEnumerable<TimeSpan> values, double percentile)
    {
        var sorted = values.Select(v => v.TotalMilliseconds).Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
