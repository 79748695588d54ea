using System.Collections.Concurrent;

namespace SlmCluster.Gateway.Routing;

/// <summary>
/// Remembers which worker last served a session or prompt prefix, so the next request finds its
/// KV cache there. Bounded: when full, the oldest half of the entries is dropped.
/// </summary>
public sealed class AffinityTable<TKey>(int capacity) where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();
    private long _clock;

    public int Count => _entries.Count;

    public RoutedWorker? Get(TKey key) => _entries.TryGetValue(key, out var entry) ? entry.Worker : null;

    public void Set(TKey key, RoutedWorker worker)
    {
        _entries[key] = new Entry(worker, Interlocked.Increment(ref _clock));
        if (_entries.Count > capacity)
        {
            Trim();
        }
    }

    private void Trim()
    {
        var cutoff = _entries.Values.Select(e => e.Stamp).Order().ElementAtOrDefault(_entries.Count / 2);
        foreach (var (key, entry) in _entries)
        {
            if (entry.Stamp < cutoff)
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    private readonly record struct Entry(RoutedWorker Worker, long Stamp);
}
