using Grpc.Health.V1;
using Grpc.Net.Client;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Routing;

/// <summary>One worker as the gateway sees it: where it is, what it serves, whether it is healthy, and its load.</summary>
public sealed class WorkerEndpoint : IDisposable
{
    private readonly GrpcChannel _channel;
    private int _outstanding;

    public WorkerEndpoint(Uri address, GrpcChannelOptions? channelOptions = null)
    {
        Address = address;
        _channel = GrpcChannel.ForAddress(address, channelOptions ?? DefaultChannelOptions());
        Inference = new Inference.InferenceClient(_channel);
        Health = new Health.HealthClient(_channel);
    }

    /// <summary>
    /// One HTTP/2 connection per worker, more when its 100 concurrent streams are in use; dead connections are found
    /// by keep-alive pings (a worker that vanished fails its calls as UNAVAILABLE instead of hanging them).
    /// </summary>
    private static GrpcChannelOptions DefaultChannelOptions() => new()
    {
        HttpHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        },
        DisposeHttpClient = true,
    };

    public Uri Address { get; }

    public Inference.InferenceClient Inference { get; }

    public Health.HealthClient Health { get; }

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
    public IReadOnlyList<ModelInfo> Models { get; set; } = [];

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
