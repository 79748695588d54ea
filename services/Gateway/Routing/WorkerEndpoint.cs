using SlmCluster.Grpc;

namespace SlmCluster.Gateway.Routing;

/// <summary>One worker as the gateway sees it: where it is, what it serves, whether it is healthy, and its load.</summary>
public sealed class WorkerEndpoint : IDisposable
{
    private readonly GrpcChannel _channel;
    private int _outstanding;

    public WorkerEndpoint(Uri address, GrpcChannelOptions? channelOptions = null)
    {
        Address = address;
        _channel = GrpcChannel.ForAddress(address, channelOptions);
        Inference = new InferenceClient(_channel);
        Health = new HealthClient(_channel);
    }

    public Uri Address { get; }

    public InferenceClient Inference { get; }

    public HealthClient Health { get; }

    /// <summary>Set by the health monitor; a configured worker starts unhealthy until it has answered once.</summary>
    public volatile bool IsHealthy;

    /// <summary>Announced by the worker in the registry: it finishes what it has and takes nothing new.</summary>
    public volatile bool IsDraining;

    /// <summary>Whether requests may be sent to it now.</summary>
    public bool IsRoutable => IsHealthy && !IsDraining;

    /// <summary>The id it registered under in Redis; null for an endpoint from configuration.</summary>
    public string? RegistryId { get; init; }

    /// <summary>The device it announced ("cpu", "cuda:0"); null for an endpoint from configuration.</summary>
    public string? Device { get; set; }

    /// <summary>Sequence slots it announced; 0 when unknown.</summary>
    public int Slots { get; set; }

    /// <summary>Requests running or queued at the worker, as it last announced (all gateways' together).</summary>
    public int? AnnouncedLoad { get; set; }

    /// <summary>Models this worker reported in its last ListModels answer.</summary>
    public IReadOnlyList<Protocol.V1.ModelInfo> Models { get; set; } = [];

    public int Outstanding => Volatile.Read(ref _outstanding);

    public bool Serves(string model) => Models.Any(m => m.Id == model);

    /// <summary>Counts a request as outstanding until the returned lease is disposed.</summary>
    public Lease Begin()
    {
        Interlocked.Increment(ref _outstanding);
        return new Lease(this);
    }

    public void Dispose() => _channel.Dispose();

    public override string ToString() => Address.ToString();

    public readonly struct Lease(WorkerEndpoint worker) : IDisposable
    {
        public WorkerEndpoint Worker => worker;

        public void Dispose() => Interlocked.Decrement(ref worker._outstanding);
    }
}
