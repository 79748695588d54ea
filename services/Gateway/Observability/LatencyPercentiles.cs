namespace SlmCluster.Gateway.Observability;

/// <summary>Latency percentiles in milliseconds over <see cref="Count"/> recent requests.</summary>
public sealed class LatencyPercentiles
{
    public double P50 { get; init; }

    public double P90 { get; init; }

    public double P99 { get; init; }

    public int Count { get; init; }
}
