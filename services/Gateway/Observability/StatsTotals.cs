namespace SlmCluster.Gateway.Observability;

/// <summary>The gateway's totals since it started.</summary>
public sealed class StatsTotals
{
    public double UptimeSeconds { get; init; }

    public long Requests { get; init; }

    public long Errors { get; init; }

    public long PromptTokens { get; init; }

    public long CompletionTokens { get; init; }

    public long CacheHits { get; init; }

    public long CacheMisses { get; init; }

    /// <summary>Self-hosted cost of the workers' time these requests used.</summary>
    public double CostUsd { get; init; }

    /// <summary>What the same tokens would have cost at each configured paid API.</summary>
    public required IReadOnlyDictionary<string, double> ReferenceCostUsd { get; init; }

    public LatencyPercentiles? LatencyMs { get; init; }

    public LatencyPercentiles? TimeToFirstTokenMs { get; init; }
}
