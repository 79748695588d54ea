using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Routing;

/// <summary>
/// The workers this gateway routes to: one entry per model grain on a live worker silo, kept by
/// <see cref="WorkerDirectory"/> from Orleans membership and the workers' own status.
/// </summary>
public sealed class WorkerPool
{
    private readonly Lock _lock = new();
    private RoutedWorker[] _workers = [];

    /// <summary>A worker entered the pool, with the models it reported.</summary>
    public event Action<RoutedWorker>? Joined;

    /// <summary>A snapshot: the set changes as worker silos join and leave.</summary>
    public IReadOnlyList<RoutedWorker> Workers => Volatile.Read(ref _workers);

    /// <summary>What the first routable worker serving <paramref name="model"/> reports of it; null when none does.</summary>
    public ModelInfo? ServedModel(string model)
    {
        foreach (var worker in Workers)
        {
            if (!worker.IsRoutable)
            {
                continue;
            }

            foreach (var served in worker.Models)
            {
                if (served.Id == model)
                {
                    return served;
                }
            }
        }

        return null;
    }

    /// <summary>The base model a routable worker serves <paramref name="adapter"/> with (its first); null when none does.</summary>
    public ModelInfo? AdapterBase(string adapter)
    {
        foreach (var worker in Workers)
        {
            if (!worker.IsRoutable)
            {
                continue;
            }

            foreach (var served in worker.Models)
            {
                foreach (var candidate in served.Adapters)
                {
                    if (candidate.Name == adapter)
                    {
                        return served;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>Every model a routable worker serves, with the number of workers serving it.</summary>
    public IReadOnlyList<(ModelInfo Model, int Replicas)> Models() =>
        Workers.Where(w => w.IsRoutable)
            .SelectMany(w => w.Models)
            .GroupBy(m => m.Id)
            .Select(g => (g.First(), g.Count()))
            .OrderBy(m => m.Item1.Id, StringComparer.Ordinal)
            .ToArray();

    /// <summary>The worker whose grain has <paramref name="key"/>, or null.</summary>
    public RoutedWorker? Find(string key) => Workers.FirstOrDefault(w => w.Key == key);

    /// <summary>Adds a worker (no-op when one with its key is there); returns the pool's entry for the key.</summary>
    public RoutedWorker Add(RoutedWorker worker)
    {
        lock (_lock)
        {
            if (_workers.FirstOrDefault(w => w.Key == worker.Key) is { } existing)
            {
                return existing;
            }

            Volatile.Write(ref _workers, [.. _workers, worker]);
        }

        Joined?.Invoke(worker);
        return worker;
    }

    /// <summary>Removes every worker <paramref name="remove"/> selects; returns those removed.</summary>
    public IReadOnlyList<RoutedWorker> RemoveWhere(Func<RoutedWorker, bool> remove)
    {
        lock (_lock)
        {
            var gone = _workers.Where(remove).ToArray();
            if (gone.Length > 0)
            {
                Volatile.Write(ref _workers, _workers.Except(gone).ToArray());
            }

            return gone;
        }
    }
}
