using SlmCluster.Gateway.Costs;

namespace SlmCluster.Gateway.Observability;

/// <summary>
/// Running totals since the gateway started and the latencies of the most recent requests, for the dashboard
/// (Prometheus computes the same from the metrics; this answers a browser without one).
/// </summary>
public sealed class ServingStats(ReferencePricing pricing, TimeProvider time)
{
    /// <summary>How many recent requests the latency percentiles are taken over.</summary>
    public const int LatencyWindow = 1024;

    private readonly Lock _lock = new();
    private readonly double[] _durations = new double[LatencyWindow];
    private readonly double[] _firstTokens = new double[LatencyWindow];
    private readonly Dictionary<string, double> _referenceCost = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(string Model, string Adapter), AdapterTotals> _adapters = [];
    private readonly long _started = time.GetTimestamp();
    private int _durationCount;
    private int _firstTokenCount;
    private long _requests;
    private long _errors;
    private long _promptTokens;
    private long _completionTokens;
    private long _cacheHits;
    private long _cacheMisses;
    private double _costUsd;

    // Counters on their own, which need no lock to count; a snapshot reads them with the rest.
    public void CacheHit() => Interlocked.Increment(ref _cacheHits);

    public void CacheMiss() => Interlocked.Increment(ref _cacheMisses);

    public void Add(in RequestRecord record)
    {
        lock (_lock)
        {
            _requests++;
            var failed = record.Status is not ("ok" or "cancelled");
            if (failed)
            {
                _errors++;
            }

            if (record.Adapter is { } adapter)
            {
                var totals = _adapters.GetValueOrDefault((record.Model, adapter)) ?? new AdapterTotals(adapter, record.Model, 0, 0, 0, 0, 0);
                _adapters[(record.Model, adapter)] = totals with
                {
                    Requests = totals.Requests + 1,
                    Errors = totals.Errors + (failed ? 1 : 0),
                    PromptTokens = totals.PromptTokens + record.PromptTokens,
                    CompletionTokens = totals.CompletionTokens + record.CompletionTokens,
                    CostUsd = totals.CostUsd + record.CostUsd,
                };
            }

            _promptTokens += record.PromptTokens;
            _completionTokens += record.CompletionTokens;
            _costUsd += record.CostUsd;
            foreach (var (api, price) in pricing.Apis)
            {
                _referenceCost[api] = _referenceCost.GetValueOrDefault(api) + price.CostOf(record.PromptTokens, record.CompletionTokens);
            }

            if (record.Status == "ok")
            {
                _durations[_durationCount++ % LatencyWindow] = record.Duration.TotalMilliseconds;
                if (record.TimeToFirstToken is { } first)
                {
                    _firstTokens[_firstTokenCount++ % LatencyWindow] = first.TotalMilliseconds;
                }
            }
        }
    }

    public StatsTotals Snapshot()
    {
        lock (_lock)
        {
            return new StatsTotals(
                UptimeSeconds: time.GetElapsedTime(_started).TotalSeconds,
                Requests: _requests,
                Errors: _errors,
                PromptTokens: _promptTokens,
                CompletionTokens: _completionTokens,
                CacheHits: Interlocked.Read(ref _cacheHits),
                CacheMisses: Interlocked.Read(ref _cacheMisses),
                CostUsd: _costUsd,
                ReferenceCostUsd: new Dictionary<string, double>(_referenceCost, StringComparer.OrdinalIgnoreCase),
                LatencyMs: Percentiles(_durations, _durationCount),
                TimeToFirstTokenMs: Percentiles(_firstTokens, _firstTokenCount));
        }
    }

    /// <summary>Each adapter (or set) requests ran under, by base model and name.</summary>
    public IReadOnlyList<AdapterTotals> Adapters()
    {
        lock (_lock)
        {
            return [.. _adapters.Values.OrderBy(a => a.Model, StringComparer.Ordinal).ThenBy(a => a.Adapter, StringComparer.Ordinal)];
        }
    }

    /// <summary>p50, p90 and p99 (nearest rank) of the last <see cref="LatencyWindow"/> values; null when there are none.</summary>
    internal static LatencyPercentiles? Percentiles(double[] ring, int count)
    {
        var n = Math.Min(count, ring.Length);
        if (n == 0)
        {
            return null;
        }

        var sorted = ring.AsSpan(0, n).ToArray();
        Array.Sort(sorted);
        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * n) - 1, 0, n - 1)];
        return new LatencyPercentiles(P50: Rank(0.50), P90: Rank(0.90), P99: Rank(0.99), Count: n);
    }
}
