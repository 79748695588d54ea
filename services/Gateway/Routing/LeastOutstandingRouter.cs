using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Configuration;

namespace SlmCluster.Gateway.Routing;

/// <summary>
/// Least outstanding requests by the power of two choices: two random candidates, the less busy wins,
/// which spreads load evenly without every request reading every worker. A session or a shared prompt
/// prefix goes back to the worker that served it last (its KV cache holds the prefix) unless that
/// worker is unhealthy or carries more than <see cref="RoutingOptions.AffinityMaxImbalance"/> requests
/// above the least busy candidate. A request under LoRA adapters goes to a worker that serves them, and back to the
/// one that ran that adapter set last (its engine runs the set's requests in one decode, and holds their prefixes) under
/// the same bound, so one adapter's traffic gathers on few workers and spreads when they are busy.
/// </summary>
public sealed class LeastOutstandingRouter(WorkerPool pool, IOptions<GatewayOptions> options, Random? random = null) : IWorkerRouter
{
    private readonly Random _random = random ?? Random.Shared;
    private readonly AffinityTable<string> _sessions = new(options.Value.Routing.AffinityCapacity);
    private readonly AffinityTable<ulong> _prefixes = new(options.Value.Routing.AffinityCapacity);
    private readonly AffinityTable<string> _adapterSets = new(options.Value.Routing.AffinityCapacity);
    // Choosing and counting the request happen under one lock: eight requests arriving together at two idle
    // workers would otherwise all read 0 and 0, and could split 5/3 or worse.
    private readonly Lock _pickLock = new();

    public RoutedWorker.Lease? Acquire(in RouteRequest request, IReadOnlyCollection<RoutedWorker> exclude)
    {
        var candidates = new List<RoutedWorker>(pool.Workers.Count);
        foreach (var worker in pool.Workers)
        {
            if (worker.IsRoutable && worker.Serves(request.Model, request.AdapterKey) && !exclude.Contains(worker))
            {
                candidates.Add(worker);
            }
        }

        if (candidates.Count == 0)
        {
            return null;
        }

        RoutedWorker.Lease lease;
        lock (_pickLock)
        {
            var least = candidates.Min(w => w.Outstanding);
            lease = (Affine(request, candidates, least) ?? PowerOfTwoChoices(candidates)).Begin();
        }

        var chosen = lease.Worker;
        if (request.SessionKey.Length > 0)
        {
            _sessions.Set(request.SessionKey, chosen);
        }

        if (request.PrefixKey != 0)
        {
            _prefixes.Set(request.PrefixKey, chosen);
        }

        if (request.AdapterKey.Length > 0)
        {
            _adapterSets.Set(request.Model + "/" + request.AdapterKey, chosen);
        }

        return lease;
    }

    private RoutedWorker? Affine(in RouteRequest request, List<RoutedWorker> candidates, int least)
    {
        var maxImbalance = options.Value.Routing.AffinityMaxImbalance;
        RoutedWorker? Usable(RoutedWorker? worker) =>
            worker is not null && candidates.Contains(worker) && worker.Outstanding - least <= maxImbalance ? worker : null;

        return (request.SessionKey.Length > 0 ? Usable(_sessions.Get(request.SessionKey)) : null)
            ?? (request.PrefixKey != 0 ? Usable(_prefixes.Get(request.PrefixKey)) : null)
            ?? (request.AdapterKey.Length > 0 ? Usable(_adapterSets.Get(request.Model + "/" + request.AdapterKey)) : null);
    }

    private RoutedWorker PowerOfTwoChoices(List<RoutedWorker> candidates)
    {
        if (candidates.Count == 1)
        {
            return candidates[0];
        }

        // Under _pickLock: Random is not thread-safe.
        var first = _random.Next(candidates.Count);
        var second = _random.Next(candidates.Count - 1);

        if (second >= first)
        {
            second++;
        }

        var a = candidates[first];
        var b = candidates[second];
        return b.Outstanding < a.Outstanding ? b : a;
    }
}
