using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SlmCluster.AppHost;

/// <summary>
/// On Ctrl-C or SIGTERM, stops the silos (gateway and workers) and waits for them before Aspire's orchestrator removes
/// the rest. Left to the orchestrator, every resource is stopped at once: Redis and the dashboard go within a second,
/// and a silo leaving the cluster then retries its membership writes against the dead Redis and its last telemetry
/// export against the dead dashboard until the orchestrator kills it. With Redis and the dashboard still up, an idle
/// silo leaves gracefully at once.
/// </summary>
internal sealed partial class SilosStopFirst(
    IReadOnlyList<IResource> silos, ResourceCommandService commands, ResourceNotificationService notifications,
    ILogger<SilosStopFirst> logger) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stops = Task.WhenAll(silos.Select(silo => StopSiloAsync(silo, stopping.Token)));
        // Aspire's stop command polls for the end with a growing delay (up to seconds); the orchestrator's own
        // notifications say it at once.
        var stopped = AllStoppedAsync(stopping.Token);
        await Task.WhenAny(stops, stopped);
        await stopping.CancelAsync();
        await Task.WhenAll(stops, stopped.ContinueWith(_ => { }, TaskScheduler.Default));
    }

    private async Task StopSiloAsync(IResource silo, CancellationToken cancellationToken)
    {
        var result = await commands.ExecuteCommandAsync(silo, KnownResourceCommands.StopCommand, cancellationToken);
        if (!result.Success && !result.Canceled && !cancellationToken.IsCancellationRequested)
        {
            LogNotStopped(logger, silo.Name, result.Message);
        }
    }

    /// <summary>Every replica of every silo in a terminal state (finished, exited, failed to start).</summary>
    private async Task AllStoppedAsync(CancellationToken cancellationToken)
    {
        var replicas = silos.Sum(silo => silo.GetReplicaCount());
        var stopped = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var e in notifications.WatchAsync(cancellationToken))
        {
            if (silos.Contains(e.Resource) && e.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state)
                && stopped.Add(e.ResourceId) && stopped.Count == replicas)
            {
                return;
            }
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Resource} did not stop before the rest of the cluster: {Error}")]
    private static partial void LogNotStopped(ILogger logger, string resource, string? error);
}
