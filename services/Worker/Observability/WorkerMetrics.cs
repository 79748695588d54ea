using System.Diagnostics;
using System.Diagnostics.Metrics;
using SlmCluster.Inference;
using SlmCluster.ServiceDefaults.Metrics;
using SlmCluster.Worker.Configuration;
using SlmCluster.Worker.Costs;

namespace SlmCluster.Worker.Observability;

/// <summary>
/// The worker's instruments (exported on <c>/metrics</c> as <c>slm_worker_*</c>): the engine's queue, running
/// sequences and KV cache use, and what the worker served and what its time cost. Hosted after <see cref="EngineHost"/>:
/// once the model is loaded, its request series exist at 0, before the first scrape and the first request.
/// </summary>
public sealed class WorkerMetrics : IHostedService
{
    public const string MeterName = "SlmCluster.Worker";

    /// <summary>The status of a request that ended with its answer.</summary>
    public const string Ok = "ok";

    /// <summary>The status of a request its caller gave up on.</summary>
    public const string Cancelled = "cancelled";

    private readonly PrometheusMeterBridge? _bridge;
    private readonly EngineHost _host;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _promptTokens;
    private readonly Counter<long> _completionTokens;
    private readonly Counter<double> _cost;
    private readonly Histogram<double> _duration;

    /// <param name="bridge">The host's <c>/metrics</c>, where it has one (the grain tests' silos have none).</param>
    public WorkerMetrics(IMeterFactory meterFactory, EngineHost host, WorkerTimeLedger ledger, Grains.WorkerGrainActivations activations,
        Microsoft.Extensions.Options.IOptions<WorkerOptions> options, PrometheusMeterBridge? bridge = null)
    {
        _bridge = bridge;
        _host = host;
        var meter = meterFactory.Create(MeterName);
        var slots = options.Value.Slots;
        var queueCapacity = options.Value.MaxQueue;
        meter.CreateObservableGauge("slm.worker.queue_depth", () => Observe(e => e.QueueDepth), "{request}",
            "Requests waiting for a free sequence slot in the engine");
        meter.CreateObservableGauge("slm.worker.queue_capacity", () => Observe(_ => queueCapacity), "{request}",
            "Requests the engine's queue holds before it refuses more (Worker:MaxQueue)");
        meter.CreateObservableGauge("slm.worker.active_sequences", () => Observe(e => e.ActiveSequences), "{sequence}",
            "Requests being decoded now");
        meter.CreateObservableGauge("slm.worker.kv_cache_usage", () => Observe(e => e.KvCacheUsage), "1",
            "Share of the KV cache's cells holding tokens (running requests and kept prompt prefixes)");
        meter.CreateObservableGauge("slm.worker.slots", () => Observe(_ => slots), "{slot}",
            "Sequences the engine decodes together at most");
        meter.CreateObservableCounter("slm.worker.busy_time", () => Observe(_ => ledger.BusySeconds), "s",
            "Seconds in which the worker held at least one request");
        meter.CreateObservableCounter("slm.worker.grain_activations", () => Observe(_ => (long)activations.Count), "{activation}",
            "Activations of this silo's model worker grain: 1 for the silo's life unless the grain was lost and made again");
        meter.CreateObservableCounter("slm.worker.grammar.requests", () => Observe(e => e.GrammarStatistics.Requests), "{request}",
            "Generations that ran under a grammar (structured output) to their end");
        meter.CreateObservableCounter("slm.worker.grammar.tokens", () => Observe(e => e.GrammarStatistics.Tokens), "{token}",
            "Tokens generated under a grammar");
        meter.CreateObservableCounter("slm.worker.grammar.resamples", () => Observe(e => e.GrammarStatistics.Resamples), "{token}",
            "Sampled tokens the grammar rejected, each followed by a second pick (greedy: among the next most likely tokens; else after a grammar mask over the whole vocabulary)");
        meter.CreateObservableCounter("slm.worker.grammar.failures", ObserveGrammarFailures, "{request}",
            "Requests a grammar failed, by reason: no_token (the grammar allowed no token) or refused (llama.cpp could not parse it)");
        meter.CreateObservableCounter("slm.worker.grammar.time", () => Observe(e => e.GrammarStatistics.Seconds), "s",
            "Seconds the engine spent in grammars (tests, masks, advances)");
        meter.CreateObservableCounter("slm.worker.adapter_switches", () => Observe(e => e is LlamaEngine llama ? llama.AdapterSwitches : 0L), "{switch}",
            "Times the engine changed its LoRA adapter set between decodes (each re-reserves llama.cpp's compute graph)");
        _requests = meter.CreateCounter<long>("slm.worker.requests", "{request}", "Requests this worker ended, by status");
        _promptTokens = meter.CreateCounter<long>("slm.worker.prompt_tokens", "{token}", "Prompt tokens this worker processed");
        _completionTokens = meter.CreateCounter<long>("slm.worker.completion_tokens", "{token}", "Tokens this worker generated");
        _cost = meter.CreateCounter<double>("slm.worker.cost", "USD", "Self-hosted cost of the worker time requests used (Worker:Cost)");
        _duration = meter.CreateHistogram("slm.worker.request.duration", "s", "Time from a request's arrival at the worker to its end",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HistogramBuckets.RequestSeconds });
    }

    /// <summary>Every status a request can end with: <see cref="Ok"/>, <see cref="Cancelled"/>, and each engine failure's.</summary>
    public static IReadOnlyList<string> Statuses { get; } = [Ok, Cancelled, .. Enum.GetValues<InferenceErrorKind>().Select(StatusOf).Distinct()];

    /// <summary>The status of a request the engine failed, as the gRPC status the caller gets, in snake case.</summary>
    public static string StatusOf(InferenceErrorKind kind) => kind switch
    {
        InferenceErrorKind.InvalidArgument => "invalid_argument",
        InferenceErrorKind.ResourceExhausted => "resource_exhausted",
        InferenceErrorKind.Unavailable => "unavailable",
        _ => "internal",
    };

    /// <summary>The model's series, one per status, exist at 0 from here on.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var model = new KeyValuePair<string, object?>("model", _host.ModelId);
        foreach (var status in Statuses)
        {
            _requests.Add(0, model, new("status", status));
        }

        _promptTokens.Add(0, model);
        _completionTokens.Add(0, model);
        _cost.Add(0, model);
        _bridge?.Declare(_duration, model);
        if (_host.IsLoaded)
        {
            foreach (var adapter in _host.Engine.Adapters)
            {
                var tag = new KeyValuePair<string, object?>("adapter", adapter.Name);
                foreach (var status in Statuses)
                {
                    _requests.Add(0, model, new("status", status), tag);
                }

                _promptTokens.Add(0, model, tag);
                _completionTokens.Add(0, model, tag);
                _cost.Add(0, model, tag);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The <c>adapter</c> label of a request's series: its adapters' names joined with '+', or null for the base model
    /// (whose series carry no adapter label, as before adapters existed).
    /// </summary>
    public static string? AdapterLabel(IReadOnlyList<Contracts.AdapterSelection>? adapters) =>
        adapters?.Where(a => a.Scale != 0f).Select(a => a.Name).Order(StringComparer.Ordinal).ToArray() is { Length: > 0 } names
            ? string.Join('+', names)
            : null;

    /// <summary>A request ended with <paramref name="status"/> (<see cref="Statuses"/>), run with <paramref name="adapter"/> (<see cref="AdapterLabel"/>).</summary>
    public void RequestEnded(string status, int promptTokens, int completionTokens, double costUsd, TimeSpan duration, string? adapter = null)
    {
        var model = new KeyValuePair<string, object?>("model", _host.ModelId);
        var tags = adapter is null ? new TagList { model } : new TagList { model, { "adapter", adapter } };
        var withStatus = tags;
        withStatus.Add("status", status);
        _requests.Add(1, withStatus);
        if (promptTokens > 0)
        {
            _promptTokens.Add(promptTokens, tags);
        }

        if (completionTokens > 0)
        {
            _completionTokens.Add(completionTokens, tags);
        }

        if (costUsd > 0)
        {
            _cost.Add(costUsd, tags);
        }

        _duration.Record(duration.TotalSeconds, model);
    }

    private IEnumerable<Measurement<long>> ObserveGrammarFailures()
    {
        IInferenceEngine engine;
        try
        {
            engine = _host.Engine;
        }
        catch (InvalidOperationException)
        {
            return [];
        }

        var grammar = engine.GrammarStatistics;
        return
        [
            new Measurement<long>(grammar.DeadEnds, new TagList { { "model", _host.ModelId }, { "worker", _host.WorkerId }, { "reason", "no_token" } }),
            new Measurement<long>(grammar.Refused, new TagList { { "model", _host.ModelId }, { "worker", _host.WorkerId }, { "reason", "refused" } }),
        ];
    }

    private IEnumerable<Measurement<T>> Observe<T>(Func<IInferenceEngine, T> read) where T : struct
    {
        IInferenceEngine engine;
        try
        {
            engine = _host.Engine;
        }
        catch (InvalidOperationException)
        {
            // Not loaded yet, or already disposed: nothing to report.
            return [];
        }

        var tags = new TagList { { "model", _host.ModelId }, { "worker", _host.WorkerId } };
        return [new Measurement<T>(read(engine), tags)];
    }
}
