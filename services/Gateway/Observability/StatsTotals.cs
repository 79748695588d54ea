namespace SlmCluster.Gateway.Observability;

/// <summary>The gateway's totals since it started.</summary>
/// <param name="CostUsd">Self-hosted cost of the workers' time these requests used.</param>
/// <param name="ReferenceCostUsd">What the same tokens would have cost at each configured paid API.</param>
public sealed record StatsTotals(
    double UptimeSeconds,
    long Requests,
    long Errors,
    long PromptTokens,
    long CompletionTokens,
    long CacheHits,
    long CacheMisses,
    double CostUsd,
    IReadOnlyDictionary<string, double> ReferenceCostUsd,
    LatencyPercentiles? LatencyMs,
    LatencyPercentiles? TimeToFirstTokenMs);
