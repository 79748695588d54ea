namespace SlmCluster.ServiceDefaults.Metrics;

/// <summary>Bucket boundaries the services advise for their histograms, so gateway and worker latencies line up in one query.</summary>
public static class HistogramBuckets
{
    /// <summary>Request durations in seconds: Prometheus' defaults, stretched to a minute for long generations.</summary>
    public static readonly double[] RequestSeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
}
