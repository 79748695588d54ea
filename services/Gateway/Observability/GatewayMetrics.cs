using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using SlmCluster.Gateway.Costs;
using SlmCluster.Gateway.Routing;
using SlmCluster.Gateway.Serving;
using SlmCluster.ServiceDefaults.Metrics;

namespace SlmCluster.Gateway.Observability;

/// <summary>
/// The gateway's instruments, exported on <c>/metrics</c>: requests by model, status and source (cache or worker),
/// latencies, tokens, cache hits, the workers by state, and the self-hosted and reference-API costs as running totals.
/// Each finished request is also added to <see cref="ServingStats"/> for the dashboard. The series of a model exist at 0
/// from the moment it is known (<see cref="DeclareModel"/>), so that a rate or an alert over them sees the first event.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "SlmCluster.Gateway";

    private static readonly double[] TokenIntervalBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

    private readonly PrometheusMeterBridge _bridge;
    private readonly ReferencePricing _pricing;
    private readonly ServingStats _stats;
    private readonly ConcurrentDictionary<string, bool> _declared = new(StringComparer.Ordinal);
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<double> _timePerOutputToken;
    private readonly Counter<long> _promptTokens;
    private readonly Counter<long> _completionTokens;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _cacheMisses;
    private readonly Counter<double> _cost;
    private readonly Counter<double> _referenceCost;
    private readonly Counter<long> _constrained;

    /// <summary>The <c>kind</c> label of a constrained request, by the format it asked for.</summary>
    public static IReadOnlyList<string> ConstrainedKinds { get; } = [.. Enum.GetValues<ResponseFormatKind>().Select(KindLabel)];

    /// <param name="bridge">Publishes the instruments on <c>/metrics</c>; the series declared here are declared to it.</param>
    public GatewayMetrics(IMeterFactory meterFactory, WorkerPool pool, ReferencePricing pricing, ServingStats stats, PrometheusMeterBridge bridge)
    {
        _bridge = bridge;
        _pricing = pricing;
        _stats = stats;
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("slm.requests", "{request}",
            "Generation requests the gateway answered, by model, status and source (cache or worker)");
        _duration = meter.CreateHistogram<double>("slm.request.duration", "s", "Time from a request's arrival to its last chunk",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HistogramBuckets.RequestSeconds });
        _timeToFirstToken = meter.CreateHistogram<double>("slm.time_to_first_token", "s", "Time from a request's arrival to its first text",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HistogramBuckets.RequestSeconds });
        _timePerOutputToken = meter.CreateHistogram<double>("slm.time_per_output_token", "s",
            "Average time between generated tokens after the first, per request",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TokenIntervalBuckets });
        _promptTokens = meter.CreateCounter<long>("slm.prompt_tokens", "{token}", "Prompt tokens of answered requests");
        _completionTokens = meter.CreateCounter<long>("slm.completion_tokens", "{token}", "Generated tokens of answered requests");
        _cacheHits = meter.CreateCounter<long>("slm.cache.hits", "{request}", "Cacheable requests answered from the response cache");
        _cacheMisses = meter.CreateCounter<long>("slm.cache.misses", "{request}", "Cacheable requests that had to be generated");
        _cost = meter.CreateCounter<double>("slm.cost", "USD", "Self-hosted cost of the worker time requests used (cache hits cost nothing)");
        _referenceCost = meter.CreateCounter<double>("slm.reference_api_cost", "USD",
            "What the same tokens would have cost at a paid API's list price, by api");
        _constrained = meter.CreateCounter<long>("slm.constrained_requests", "{request}",
            "Requests accepted with a response format (structured output), by model and kind: json_object, json_schema or grammar");
        meter.CreateObservableGauge("slm.workers", () => ObserveWorkers(pool), "{worker}",
            "Workers this gateway knows, by state (serving, draining, unhealthy)");
        meter.CreateObservableGauge("slm.gateway.outstanding_requests", () => (long)pool.Workers.Sum(w => w.Outstanding), "{request}",
            "Requests this gateway has in flight at workers");

        // The models workers serve are known as they join; those that joined before this was made, now.
        pool.Joined += DeclareModels;
        foreach (var worker in pool.Workers)
        {
            DeclareModels(worker);
        }
    }

    /// <summary>
    /// Makes every series labelled with <paramref name="model"/> exist at 0: requests by each status and source, their
    /// latencies, tokens and costs, and the cache's hits and misses. Called for each label value known at start and
    /// for each model a worker reports as it joins the pool; a model already declared costs a lookup.
    /// </summary>
    public void DeclareModel(string model)
    {
        if (!_declared.TryAdd(model, true))
        {
            return;
        }

        var label = new KeyValuePair<string, object?>("model", model);
        _cacheHits.Add(0, label);
        _cacheMisses.Add(0, label);
        _cost.Add(0, label);
        _bridge.Declare(_timePerOutputToken, label);
        foreach (var (api, _) in _pricing.Apis)
        {
            _referenceCost.Add(0, new("api", api), label);
        }

        foreach (var kind in ConstrainedKinds)
        {
            _constrained.Add(0, label, new("kind", kind));
        }

        foreach (var name in RequestRecord.Sources)
        {
            var source = new KeyValuePair<string, object?>("source", name);
            foreach (var status in RequestRecord.Statuses)
            {
                _requests.Add(0, label, new("status", status), source);
            }

            _promptTokens.Add(0, label, source);
            _completionTokens.Add(0, label, source);
            _bridge.Declare(_duration, label, source);
            _bridge.Declare(_timeToFirstToken, label, source);
        }
    }

    private void DeclareModels(RoutedWorker worker)
    {
        foreach (var model in worker.Models)
        {
            DeclareModel(model.Id);
        }
    }

    public void CacheHit(string model)
    {
        _cacheHits.Add(1, new KeyValuePair<string, object?>("model", model));
        _stats.CacheHit();
    }

    public void CacheMiss(string model)
    {
        _cacheMisses.Add(1, new KeyValuePair<string, object?>("model", model));
        _stats.CacheMiss();
    }

    /// <summary>A request with a response format passed the rules and is on its way to <paramref name="model"/> (a model or a cascade route).</summary>
    public void Constrained(string model, ResponseFormatKind kind) =>
        _constrained.Add(1, new KeyValuePair<string, object?>("model", model), new("kind", KindLabel(kind)));

    private static string KindLabel(ResponseFormatKind kind) => kind switch
    {
        ResponseFormatKind.JsonObject => "json_object",
        ResponseFormatKind.JsonSchema => "json_schema",
        _ => "grammar",
    };

    public void RequestEnded(in RequestRecord record)
    {
        var model = new KeyValuePair<string, object?>("model", record.Model);
        var source = new KeyValuePair<string, object?>("source", record.Source);
        // Requests under adapters carry an adapter label on the request, token and cost series; the base's keep theirs.
        var requests = new TagList { model, { "status", record.Status }, source };
        var tokens = new TagList { model, source };
        var cost = new TagList { model };
        if (record.Adapter is { } adapter)
        {
            requests.Add("adapter", adapter);
            tokens.Add("adapter", adapter);
            cost.Add("adapter", adapter);
        }

        _requests.Add(1, requests);
        _duration.Record(record.Duration.TotalSeconds, model, source);
        if (record.TimeToFirstToken is { } first)
        {
            _timeToFirstToken.Record(first.TotalSeconds, model, source);
        }

        if (record.Source == RequestRecord.FromWorker && record.TimePerOutputToken is { } perToken)
        {
            _timePerOutputToken.Record(perToken.TotalSeconds, model);
        }

        if (record.PromptTokens > 0 || record.CompletionTokens > 0)
        {
            _promptTokens.Add(record.PromptTokens, tokens);
            _completionTokens.Add(record.CompletionTokens, tokens);
            foreach (var (api, price) in _pricing.Apis)
            {
                _referenceCost.Add(price.CostOf(record.PromptTokens, record.CompletionTokens), new("api", api), model);
            }
        }

        if (record.CostUsd > 0)
        {
            _cost.Add(record.CostUsd, cost);
        }

        _stats.Add(record);
    }

    private static IEnumerable<Measurement<int>> ObserveWorkers(WorkerPool pool)
    {
        var workers = pool.Workers;
        yield return new Measurement<int>(workers.Count(w => w.IsRoutable), new KeyValuePair<string, object?>("state", "serving"));
        yield return new Measurement<int>(workers.Count(w => w.IsDraining), new KeyValuePair<string, object?>("state", "draining"));
        yield return new Measurement<int>(workers.Count(w => !w.IsHealthy && !w.IsDraining), new KeyValuePair<string, object?>("state", "unhealthy"));
    }
}
