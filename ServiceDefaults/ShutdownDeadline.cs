using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SlmCluster.ServiceDefaults;

/// <summary>
/// Bounds a shutdown. A silo that stops writes its leaving to the membership table; with the table's Redis gone,
/// Orleans retries each of those writes for about a minute each, so a worker or gateway sent SIGTERM took minutes to
/// exit, holding its port, its pod's grace period or the AppHost's stop. Once stopping has begun, the process gets the
/// host's shutdown timeout (requests and generations drain within it) and <see cref="Grace"/> more for Orleans to
/// leave the cluster; then it exits with <see cref="ServiceMain.FailedExitCode"/>. The others declare it dead through
/// their probes, as they would had it been killed.
/// </summary>
internal sealed partial class ShutdownDeadline(
    IHostApplicationLifetime lifetime, IOptions<HostOptions> hostOptions, ILogger<ShutdownDeadline> logger) : IHostedService, IDisposable
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    private CancellationTokenRegistration _stopping;
    private Timer? _deadline;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = lifetime.ApplicationStopping.Register(() =>
        {
            var limit = hostOptions.Value.ShutdownTimeout + Grace;
            _deadline = new Timer(_ => Expire(limit), null, limit, Timeout.InfiniteTimeSpan);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Expire(TimeSpan limit)
    {
        LogExpired(logger, limit.TotalSeconds);
        // Written straight to stderr as well: the logging pipeline may be the part still stopping.
        Console.Error.WriteLine($"error: shutdown did not finish within {limit.TotalSeconds:F0} s; exiting");
        Environment.Exit(ServiceMain.FailedExitCode);
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _deadline?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Shutdown did not finish within {Seconds:F0} s (is the membership table's Redis reachable?); exiting")]
    private static partial void LogExpired(ILogger logger, double seconds);
}
