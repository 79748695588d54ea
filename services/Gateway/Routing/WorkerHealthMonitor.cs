using Grpc.Core;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Hosting;
using Grpc.Health.V1;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Routing;

/// <summary>
/// Asks every worker for its health and models on an interval: a worker that stops answering is
/// taken out of rotation and put back when it answers again.
/// </summary>
public sealed partial class WorkerHealthMonitor(WorkerPool pool, IOptions<GatewayOptions> options, ILogger<WorkerHealthMonitor> logger)
    : BackgroundService
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Completes once every worker has been probed at least once.</summary>
    public Task FirstRound => _firstRound.Task;

    private readonly TaskCompletionSource _firstRound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (pool.Workers.Count == 0)
        {
            LogNoWorkers(logger);
        }

        using var timer = new PeriodicTimer(options.Value.HealthCheckInterval);
        do
        {
            await Task.WhenAll(pool.Workers.Select(w => ProbeAsync(w, stoppingToken)));
            _firstRound.TrySetResult();
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    /// <summary>Probes one worker now; the gateway also calls this when a call to a worker fails.</summary>
    public async Task ProbeAsync(WorkerEndpoint worker, CancellationToken cancellationToken)
    {
        var healthy = false;
        try
        {
            var deadline = DateTime.UtcNow + ProbeTimeout;
            var health = await worker.Health.CheckAsync(new HealthCheckRequest(), new CallOptions(deadline: deadline, cancellationToken: cancellationToken));
            if (health.Status == HealthCheckResponse.Types.ServingStatus.Serving)
            {
                var models = await worker.Inference.ListModelsAsync(new ListModelsRequest(), new CallOptions(deadline: deadline, cancellationToken: cancellationToken));
                worker.Models = models.Models.ToArray();
                healthy = true;
            }
        }
        catch (RpcException e)
        {
            if (worker.IsHealthy)
            {
                LogProbeFailed(logger, worker.Address, e.StatusCode, e.Status.Detail);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        if (healthy != worker.IsHealthy)
        {
            worker.IsHealthy = healthy;
            if (healthy)
            {
                LogWorkerUp(logger, worker.Address, string.Join(", ", worker.Models.Select(m => m.Id)));
            }
            else
            {
                LogWorkerDown(logger, worker.Address);
            }
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No worker endpoints are configured: set services__worker__grpc__0=http://host:port or Gateway:Workers")]
    private static partial void LogNoWorkers(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Address} is healthy, serving {Models}")]
    private static partial void LogWorkerUp(ILogger logger, Uri address, string models);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Address} is out of rotation: it does not answer health checks")]
    private static partial void LogWorkerDown(ILogger logger, Uri address);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Health probe of {Address} failed: {Status} {Detail}")]
    private static partial void LogProbeFailed(ILogger logger, Uri address, StatusCode status, string detail);
}
