using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using SlmCluster.Gateway.Routing;
using SlmCluster.ServiceDefaults.Metrics;

namespace SlmCluster.Gateway.Observability;

/// <summary>
/// The embedding requests' instruments on <c>/metrics</c>: requests by model and status, inputs and tokens by source
/// (cache or worker), latency, and the self-hosted and reference costs. As <see cref="GatewayMetrics"/>' do, a model's
/// series exist at 0 from the moment it is known: <see cref="RequestRecord.UnknownModel"/> at start, and each model a
/// worker serves for embeddings as it joins the pool.
/// </summary>
public sealed class EmbeddingMetrics
{
    public static readonly string[] Sources = [RequestRecord.FromCache, RequestRecord.FromWorker];

    private readonly PrometheusMeterBridge _bridge;
    private readonly ConcurrentDictionary<string, bool> _declared = new(StringComparer.Ordinal);
    private readonly Counter<long> _requests;
    private readonly Counter<long> _inputs;
    private readonly Counter<long> _tokens;
    private readonly Histogram<double> _duration;
    private readonly Counter<double> _cost;
    private readonly Counter<double> _referenceCost;

    public EmbeddingMetrics(IMeterFactory meterFactory, WorkerPool pool, PrometheusMeterBridge bridge)
    {
        _bridge = bridge;
        var meter = meterFactory.Create(GatewayMetrics.MeterName);
        _requests = meter.CreateCounter<long>("slm.embeddings.requests", "{request}", "Embedding requests the gateway answered, by model and status");
        _inputs = meter.CreateCounter<long>("slm.embeddings.inputs", "{input}", "Inputs embedded, by model and source (cache or worker)");
        _tokens = meter.CreateCounter<long>("slm.embeddings.tokens", "{token}", "Tokens of the inputs embedded, by model and source");
        _duration = meter.CreateHistogram<double>("slm.embeddings.duration", "s", "Time from an embedding request's arrival to its answer",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HistogramBuckets.RequestSeconds });
        _cost = meter.CreateCounter<double>("slm.embeddings.cost", "USD", "Self-hosted cost of the worker time embeddings used");
        _referenceCost = meter.CreateCounter<double>("slm.embeddings.reference_api_cost", "USD",
            "What the embedded tokens would have cost at the reference embeddings price (Gateway:Cost:EmbeddingsPerMillion)");

        DeclareModel(RequestRecord.UnknownModel);
        pool.Joined += worker =>
        {
            foreach (var model in worker.Models)
            {
                if (model.Embeddings)
                {
                    DeclareModel(model.Id);
                }
            }
        };
        foreach (var model in pool.Workers.SelectMany(w => w.Models).Where(m => m.Embeddings))
        {
            DeclareModel(model.Id);
        }
    }

    /// <summary>Makes every series labelled with <paramref name="model"/> exist at 0.</summary>
    public void DeclareModel(string model)
    {
        if (!_declared.TryAdd(model, true))
        {
            return;
        }

        var label = new KeyValuePair<string, object?>("model", model);
        foreach (var status in RequestRecord.Statuses)
        {
            _requests.Add(0, label, new("status", status));
        }

        foreach (var source in Sources)
        {
            _inputs.Add(0, label, new("source", source));
            _tokens.Add(0, label, new("source", source));
        }

        _bridge.Declare(_duration, label);
        _cost.Add(0, label);
        _referenceCost.Add(0, label);
    }

    /// <summary>One request's end: its status, and what it embedded from the cache and from workers.</summary>
    public void RequestEnded(string model, string status, TimeSpan duration, int cachedInputs, int cachedTokens, int workerInputs, int workerTokens,
        double costUsd, double referenceCostUsd)
    {
        var label = new KeyValuePair<string, object?>("model", model);
        _requests.Add(1, label, new("status", status));
        _duration.Record(duration.TotalSeconds, label);
        if (cachedInputs > 0)
        {
            _inputs.Add(cachedInputs, label, new("source", RequestRecord.FromCache));
            _tokens.Add(cachedTokens, label, new("source", RequestRecord.FromCache));
        }

        if (workerInputs > 0)
        {
            _inputs.Add(workerInputs, label, new("source", RequestRecord.FromWorker));
            _tokens.Add(workerTokens, label, new("source", RequestRecord.FromWorker));
        }

        if (costUsd > 0)
        {
            _cost.Add(costUsd, label);
        }

        if (referenceCostUsd > 0)
        {
            _referenceCost.Add(referenceCostUsd, label);
        }
    }
}
