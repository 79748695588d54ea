using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SlmCluster.Worker.Configuration;

/// <summary>
/// Ready while the model is loaded and the worker takes requests: a draining worker reports unhealthy, so its gRPC
/// health turns NOT_SERVING and gateways stop sending it work before it leaves.
/// </summary>
public sealed class WorkerReadinessHealthCheck(EngineHost host, WorkerState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!host.IsLoaded)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The model is not loaded."));
        }

        return Task.FromResult(state.IsDraining
            ? HealthCheckResult.Unhealthy($"Worker {host.WorkerId} is draining ({state.InFlight} requests in flight).")
            : HealthCheckResult.Healthy($"Worker {host.WorkerId} serves {host.ModelId}."));
    }
}
