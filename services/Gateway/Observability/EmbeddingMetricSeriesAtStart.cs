namespace SlmCluster.Gateway.Observability;

/// <summary>Makes <see cref="EmbeddingMetrics"/> at start, so its series exist at 0 before the first scrape rather than the first request.</summary>
public sealed class EmbeddingMetricSeriesAtStart(EmbeddingMetrics metrics) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Its constructor declares the series.
        _ = metrics;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
