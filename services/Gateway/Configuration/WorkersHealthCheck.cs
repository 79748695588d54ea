using Microsoft.Extensions.Diagnostics.HealthChecks;
using SlmCluster.Gateway.Routing;

namespace SlmCluster.Gateway.Configuration;

/// <summary>The gateway is ready when at least one worker can serve.</summary>
public sealed class WorkersHealthCheck(WorkerPool pool) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var healthy = pool.Workers.Count(w => w.IsRoutable);
        return Task.FromResult(healthy > 0
            ? HealthCheckResult.Healthy($"{healthy} of {pool.Workers.Count} workers healthy.")
            : HealthCheckResult.Unhealthy($"None of {pool.Workers.Count} workers is healthy."));
    }
}
