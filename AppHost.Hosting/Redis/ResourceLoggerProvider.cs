using Microsoft.Extensions.Logging;

namespace SlmCluster.AppHost.Hosting;

/// <summary>Every category logs to one resource's log (its console on the dashboard).</summary>
internal sealed class ResourceLoggerProvider(ILogger resourceLogger) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => resourceLogger;

    public void Dispose()
    {
    }
}
