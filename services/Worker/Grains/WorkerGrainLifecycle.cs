using Microsoft.Extensions.Options;
using Orleans.Runtime;
using SlmCluster.Contracts;
using SlmCluster.Worker.Configuration;

namespace SlmCluster.Worker.Grains;

/// <summary>
/// Activates this silo's worker grain as soon as the silo has joined, so the front door finds it ready; on shutdown,
/// before the silo leaves the cluster, stops taking requests and waits for the running ones (bounded by
/// <see cref="WorkerOptions.DrainTimeout"/>). Registered after the silo, so it starts after it and stops before it.
/// </summary>
public sealed partial class WorkerGrainLifecycle(
    IGrainFactory grains,
    ILocalSiloDetails silo,
    EngineHost engine,
    WorkerState state,
    IOptions<WorkerOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<WorkerGrainLifecycle> logger) : IHostedService
{
    private Task? _drained;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The drain starts the moment shutdown does, before any service stops: the grain refuses new requests
        // (the front door sends them elsewhere) and reports itself draining.
        lifetime.ApplicationStopping.Register(() => _drained = DrainAsync());
        var key = silo.SiloAddress.ToParsableString();
        var status = await grains.GetGrain<IModelWorkerGrain>(key).GetStatus().WaitAsync(cancellationToken);
        LogServing(logger, status.WorkerId, status.Model.Id, key);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await (_drained ?? DrainAsync()).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task DrainAsync()
    {
        var idle = state.BeginDrainAsync();
        LogDraining(logger, engine.WorkerId, state.InFlight);
        if (await Task.WhenAny(idle, Task.Delay(options.Value.DrainTimeout)) != idle)
        {
            LogDrainTimedOut(logger, engine.WorkerId, state.InFlight, options.Value.DrainTimeout.TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} serves {ModelId} as grain {Key}")]
    private static partial void LogServing(ILogger logger, string workerId, string modelId, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} is draining: no new requests, {InFlight} still running")]
    private static partial void LogDraining(ILogger logger, string workerId, int inFlight);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} stopped draining with {InFlight} requests still running after {Seconds} s")]
    private static partial void LogDrainTimedOut(ILogger logger, string workerId, int inFlight, double seconds);
}
