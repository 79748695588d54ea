using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SlmCluster.Settings;

namespace SlmCluster.ServiceDefaults;

/// <summary>
/// Stops the service when the process that started it (the AppHost, given as <c>SLM_PARENT_PID</c>)
/// is gone, so that killing the AppHost with SIGKILL leaves no orphaned workers.
/// </summary>
internal sealed partial class ParentProcessWatcher(
    IConfiguration configuration, IHostApplicationLifetime lifetime, ILogger<ParentProcessWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!int.TryParse(configuration[ClusterSettings.Keys.ParentProcessId], out var parentPid))
        {
            return;
        }

        // Ctrl-C in a terminal reaches the whole process group; the parent decides the shutdown order
        // and sends SIGTERM, so a child ignores SIGINT.
        using var ignoreSigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => context.Cancel = true);

        Process parent;
        try
        {
            parent = Process.GetProcessById(parentPid);
        }
        catch (ArgumentException)
        {
            LogParentGone(logger, parentPid);
            lifetime.StopApplication();
            return;
        }

        using (parent)
        {
            try
            {
                await parent.WaitForExitAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        LogParentGone(logger, parentPid);
        lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Parent process {ParentPid} is gone; shutting down")]
    private static partial void LogParentGone(ILogger logger, int parentPid);
}
