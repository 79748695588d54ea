using SlmCluster.Contracts;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Routing;

/// <summary>
/// One worker as the front door sees it: the model grain pinned to a worker silo, what it serves, whether it can
/// take requests, and how many this gateway has sent it.
/// </summary>
/// <param name="key">The grain's key: the address of the silo it lives on.</param>
/// <param name="grain">The grain reference calls go to.</param>
public sealed class RoutedWorker(string key, IModelWorkerGrain grain)
{
    private const int RoundTripWindow = 256;
    private readonly double[] _statusRoundTrips = new double[RoundTripWindow];
    private int _statusRoundTripCount;
    private int _outstanding;

    /// <summary>The worker silo's address, the key of its grain.</summary>
    public string Key { get; } = key;

    public IModelWorkerGrain Grain { get; } = grain;

    /// <summary>The id the worker reports (<c>served.worker_id</c>); the silo address until it has reported.</summary>
    public string WorkerId { get; set; } = key;

    /// <summary>It answered its last status call; a call that found its silo gone clears it at once.</summary>
    public volatile bool IsHealthy;

    /// <summary>The worker is stopping: it finishes what it has and takes nothing new.</summary>
    public volatile bool IsDraining;

    /// <summary>Whether requests may be sent to it now.</summary>
    public bool IsRoutable => IsHealthy && !IsDraining;

    /// <summary>The device it reported ("cpu", "cuda").</summary>
    public string? Device { get; set; }

    /// <summary>Sequence slots it reported; 0 when unknown.</summary>
    public int Slots { get; set; }

    /// <summary>Requests running or queued at the worker, as it last reported (all gateways' together).</summary>
    public int? AnnouncedLoad { get; set; }

    /// <summary>How many times its silo has activated the grain, as last reported.</summary>
    public int Activations { get; set; }

    /// <summary>The models it reported in its last status.</summary>
    public IReadOnlyList<ModelInfo> Models { get; set; } = [];

    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>
    /// Notes how long a status call to the worker's grain took, from the front door's call to its answer: one Orleans
    /// request and response between the two silos, the floor under every call the front door makes to the worker.
    /// </summary>
    public void RecordStatusRoundTrip(TimeSpan elapsed)
    {
        lock (_statusRoundTrips)
        {
            _statusRoundTrips[_statusRoundTripCount++ % RoundTripWindow] = elapsed.TotalMilliseconds;
        }
    }

    /// <summary>Percentiles of the last status calls' round trips (ms); null before the first answer.</summary>
    public Observability.LatencyPercentiles? StatusRoundTrips()
    {
        lock (_statusRoundTrips)
        {
            return Observability.ServingStats.Percentiles(_statusRoundTrips, _statusRoundTripCount);
        }
    }

    /// <summary>
    /// Whether it serves <paramref name="model"/> with every adapter of <paramref name="adapterKey"/> (names joined by
    /// '+', <see cref="RouteRequest.AdapterKey"/>; empty for the base alone).
    /// </summary>
    public bool Serves(string model, string adapterKey)
    {
        if (adapterKey.Length == 0)
        {
            return Serves(model);
        }

        foreach (var served in Models)
        {
            if (served.Id == model)
            {
                foreach (var name in adapterKey.Split('+'))
                {
                    if (!served.Adapters.Any(a => a.Name == name))
                    {
                        return false;
                    }
                }

                return true;
            }
        }

        return false;
    }

    public bool Serves(string model)
    {
        foreach (var served in Models)
        {
            if (served.Id == model)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Counts a request as outstanding until the returned lease is disposed.</summary>
    public Lease Begin()
    {
        Interlocked.Increment(ref _outstanding);
        return new Lease(this);
    }

    public override string ToString() => WorkerId;

    public readonly struct Lease(RoutedWorker worker) : IDisposable
    {
        public RoutedWorker Worker => worker;

        public void Dispose() => Interlocked.Decrement(ref worker._outstanding);
    }
}
