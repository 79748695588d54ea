using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Hosting;
using SlmCluster.Redis.Registry;

namespace SlmCluster.Gateway.Routing;

/// <summary>
/// Reads the Redis worker registry on a short interval and brings the pool in line: a new worker gets
/// traffic within a poll, a dead one's key expires within its TTL. While Redis is away the pool keeps
/// its last view (plus the static endpoints).
/// </summary>
public sealed partial class RegistryWorkerSource(
    WorkerRegistry registry, WorkerPool pool, WorkerHealthMonitor monitor, IOptions<GatewayOptions> options, ILogger<RegistryWorkerSource> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!registry.IsConfigured)
        {
            LogStaticOnly(logger, pool.Workers.Count);
            return;
        }

        using var timer = new PeriodicTimer(options.Value.RegistryPollInterval);
        try
        {
            do
            {
                if (await registry.ReadAllAsync(stoppingToken) is not { } registrations)
                {
                    continue;
                }

                var (joined, left) = pool.Sync(registrations);
                if (joined + left > 0)
                {
                    LogChanged(logger, joined, left, string.Join(", ", pool.Workers.Select(w => w.RegistryId ?? w.Address.ToString())));
                }

                if (joined > 0)
                {
                    // A worker that just announced itself is probed now, not at the next health round: it takes
                    // traffic as soon as it answers.
                    await Task.WhenAll(pool.Workers.Where(w => w.RegistryId is not null && !w.IsHealthy).Select(w => monitor.ProbeAsync(w, stoppingToken)));
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No Redis configured: routing to the {Count} worker endpoints from configuration only")]
    private static partial void LogStaticOnly(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registry: {Joined} workers joined, {Left} left; now {Workers}")]
    private static partial void LogChanged(ILogger logger, int joined, int left, string workers);
}
