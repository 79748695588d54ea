using Microsoft.Extensions.Options;
using SlmCluster.Redis.Registry;
using SlmCluster.Worker.Hosting;

namespace SlmCluster.Worker.Registry;

/// <summary>
/// Announces this worker in the Redis registry every second with a short TTL, so gateways on any
/// machine find it and forget it soon after it dies. On shutdown it announces "draining" first, waits
/// for its requests to finish (bounded by <see cref="WorkerOptions.DrainTimeout"/>), then removes itself.
/// </summary>
public sealed partial class WorkerRegistrar(
    WorkerRegistry registry,
    EngineHost engine,
    WorkerState state,
    IOptions<WorkerOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<WorkerRegistrar> logger) : BackgroundService
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(2);

    private Task? _drained;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Runs before the listeners close, so gateways stop sending before requests are refused.
        lifetime.ApplicationStopping.Register(() => _drained = DrainAsync());
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!registry.IsConfigured)
        {
            LogNoRegistry(logger);
            return;
        }

        var sha256 = await engine.ModelSha256;
        var announced = false;
        using var timer = new PeriodicTimer(RefreshInterval);
        try
        {
            do
            {
                if (state.IsDraining)
                {
                    continue;
                }

                var published = await registry.PublishAsync(Registration(sha256), TimeToLive, stoppingToken);
                if (published && !announced)
                {
                    LogAnnounced(logger, engine.WorkerId, Endpoint);
                }

                announced = published;
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_drained is { } drained)
        {
            try
            {
                await drained.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (registry.IsConfigured)
        {
            await registry.RemoveAsync(engine.WorkerId, CancellationToken.None);
            LogRemoved(logger, engine.WorkerId);
        }
    }

    private async Task DrainAsync()
    {
        var idle = state.BeginDrainAsync();
        LogDraining(logger, engine.WorkerId, state.InFlight);
        if (registry.IsConfigured && engine.ModelSha256.IsCompletedSuccessfully)
        {
            await registry.PublishAsync(Registration(engine.ModelSha256.Result) with { State = WorkerStates.Draining }, TimeToLive);
        }

        if (await Task.WhenAny(idle, Task.Delay(options.Value.DrainTimeout)) != idle)
        {
            LogDrainTimedOut(logger, engine.WorkerId, state.InFlight, options.Value.DrainTimeout.TotalSeconds);
        }
    }

    private string Endpoint => options.Value.AdvertisedEndpoint is { Length: > 0 } advertised
        ? advertised
        : $"http://{(options.Value.BindAddress is "0.0.0.0" or "::" ? Environment.MachineName : options.Value.BindAddress)}:{options.Value.GrpcPort}";

    private WorkerRegistration Registration(string sha256) => new()
    {
        Id = engine.WorkerId,
        Endpoint = Endpoint,
        Model = engine.ModelId,
        ModelSha256 = sha256,
        Device = options.Value.Device,
        Slots = options.Value.Slots,
        Load = state.InFlight,
        RequestsServed = state.Accepted,
        State = state.IsDraining ? WorkerStates.Draining : WorkerStates.Serving,
        UpdatedAt = DateTimeOffset.UtcNow,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "No Redis configured (ConnectionStrings:cache): this worker is not announced in a registry; gateways need its endpoint in configuration")]
    private static partial void LogNoRegistry(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} announced in the registry at {Endpoint}")]
    private static partial void LogAnnounced(ILogger logger, string workerId, string endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} is draining: no new requests, {InFlight} still running")]
    private static partial void LogDraining(ILogger logger, string workerId, int inFlight);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} stopped draining with {InFlight} requests still running after {Seconds} s")]
    private static partial void LogDrainTimedOut(ILogger logger, string workerId, int inFlight, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} removed itself from the registry")]
    private static partial void LogRemoved(ILogger logger, string workerId);
}
