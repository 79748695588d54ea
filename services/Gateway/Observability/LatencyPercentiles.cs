namespace SlmCluster.Gateway.Observability;

/// <summary>Latency percentiles in milliseconds over <paramref name="Count"/> recent requests.</summary>
public sealed record LatencyPercentiles(double P50, double P90, double P99, int Count);
