using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace SlmCluster.ServiceDefaults.Metrics;

/// <summary>
/// Publishes the instruments of the chosen meters in a prometheus-net <see cref="CollectorRegistry"/> as its own counters,
/// gauges and histograms, named as OpenTelemetry names them for Prometheus: <c>slm.requests</c> becomes
/// <c>slm_requests_total</c>, <c>slm.request.duration</c> in seconds becomes <c>slm_request_duration_seconds</c>.
/// </summary>
/// <remarks>
/// prometheus-net 8.2.1 has a meter adapter of its own, but it exports every counter as a gauge named after the meter
/// and the instrument (<c>slmcluster_gateway_slm_requests</c>), ignores the advised histogram buckets and drops a series
/// that has not changed for five minutes. A gauge cannot keep the <c>_total</c> names dashboards and alerts query
/// (promtool rejects a gauge ending in <c>_total</c>), so the instruments are mapped here and prometheus-net does the rest:
/// the series, the histogram buckets, the exposition formats and the endpoint.
/// </remarks>
public sealed class PrometheusMeterBridge : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly IMetricFactory _factory;
    private readonly ConcurrentDictionary<Instrument, ExportedInstrument> _exported = new();

    /// <param name="registry">Where the instruments are published; <c>/metrics</c> serves it.</param>
    /// <param name="includes">Whether a meter's instruments are published.</param>
    public PrometheusMeterBridge(CollectorRegistry registry, Func<Meter, bool> includes)
    {
        Registry = registry;
        _factory = Prometheus.Metrics.WithCustomRegistry(registry);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (includes(instrument.Meter) && ExportedInstrument.For(instrument, _factory) is { } exported)
            {
                _exported[instrument] = exported;
                listener.EnableMeasurementEvents(instrument, exported);
            }
        };
        _listener.MeasurementsCompleted = (instrument, state) => _exported.TryRemove(instrument, out _);
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((ExportedInstrument)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((ExportedInstrument)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((ExportedInstrument)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((ExportedInstrument)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((ExportedInstrument)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((ExportedInstrument)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((ExportedInstrument)state!).Record((double)value, tags));
        _listener.Start();

        // Observable instruments report when asked: each scrape asks them first.
        registry.AddBeforeCollectCallback(_listener.RecordObservableInstruments);
    }

    public CollectorRegistry Registry { get; }

    public void Dispose() => _listener.Dispose();

    /// <summary>
    /// Publishes the series of <paramref name="instrument"/> with <paramref name="tags"/> at zero, with no measurement:
    /// a series that exists from the start gives a <c>rate()</c> or an alert its first change, where one that appears
    /// with its first event hides that event. A counter can be given an <c>Add(0)</c> instead, which every exporter
    /// sees; a histogram has no measurement that leaves it empty, so it is declared here. An instrument this bridge
    /// does not publish is left alone.
    /// </summary>
    public void Declare(Instrument instrument, params ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_exported.TryGetValue(instrument, out var exported))
        {
            exported.Declare(tags);
        }
    }

    /// <summary>A valid Prometheus metric or label name: every character other than a letter, digit or underscore becomes an underscore.</summary>
    internal static string Sanitize(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(chars[i]) || chars[i] == '_'))
            {
                chars[i] = '_';
            }
        }

        var sanitized = new string(chars);
        return sanitized.Length == 0 || char.IsAsciiDigit(sanitized[0]) ? "_" + sanitized : sanitized;
    }

    /// <summary>
    /// The Prometheus name of an instrument: dots become underscores, the unit is a suffix (<c>s</c> is <c>_seconds</c>,
    /// <c>1</c> on a gauge is <c>_ratio</c>, a <c>{request}</c> annotation is none) and a counter ends in <c>_total</c>.
    /// </summary>
    internal static string MetricName(string instrumentName, string? unit, bool isCounter)
    {
        var name = Sanitize(instrumentName);
        var suffix = unit switch
        {
            null or "" => null,
            _ when unit[0] == '{' => null,
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            "1" => isCounter ? null : "ratio",
            _ => Sanitize(unit).Trim('_').ToLowerInvariant() is { Length: > 0 } other ? other : null,
        };
        if (suffix is not null && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name += "_" + suffix;
        }

        return isCounter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
    }

    /// <summary>One instrument and its Prometheus metric, one per set of tag names it has been recorded with.</summary>
    private sealed class ExportedInstrument
    {
        private readonly IMetricFactory _factory;
        private readonly Kind _kind;
        private readonly string _name;
        private readonly string _help;
        private readonly double[]? _buckets;
        private readonly ConcurrentDictionary<string, Collector> _byLabelNames = new(StringComparer.Ordinal);

        private ExportedInstrument(IMetricFactory factory, Instrument instrument, Kind kind)
        {
            _factory = factory;
            _kind = kind;
            _name = MetricName(instrument.Name, instrument.Unit, kind is Kind.Counter or Kind.ObservedCounter);
            _help = string.IsNullOrEmpty(instrument.Description) ? instrument.Name : instrument.Description;
            _buckets = kind == Kind.Histogram ? AdvisedBuckets(instrument) : null;
        }

        private enum Kind
        {
            /// <summary>Each measurement is an increment.</summary>
            Counter,

            /// <summary>Each measurement is the running total.</summary>
            ObservedCounter,

            /// <summary>Each measurement is an increment or a decrement.</summary>
            UpDown,

            /// <summary>Each measurement is the current value.</summary>
            Gauge,

            Histogram,
        }

        public static ExportedInstrument? For(Instrument instrument, IMetricFactory factory)
        {
            if (!instrument.GetType().IsGenericType)
            {
                return null;
            }

            var definition = instrument.GetType().GetGenericTypeDefinition();
            Kind? kind = definition switch
            {
                _ when definition == typeof(Counter<>) => Kind.Counter,
                _ when definition == typeof(ObservableCounter<>) => Kind.ObservedCounter,
                _ when definition == typeof(UpDownCounter<>) => Kind.UpDown,
                _ when definition == typeof(ObservableUpDownCounter<>) || definition == typeof(ObservableGauge<>) || definition == typeof(Gauge<>) => Kind.Gauge,
                _ when definition == typeof(Histogram<>) => Kind.Histogram,
                _ => null,
            };
            return kind is { } known ? new ExportedInstrument(factory, instrument, known) : null;
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            // A counter only goes up; prometheus-net would throw into the caller of Add.
            if (_kind == Kind.Counter && !(value >= 0))
            {
                return;
            }

            var (collector, values) = Labelled(tags);
            switch (collector)
            {
                case Prometheus.Counter counter when _kind == Kind.Counter:
                    counter.WithLabels(values).Inc(value);
                    break;
                case Prometheus.Counter counter:
                    counter.WithLabels(values).IncTo(value);
                    break;
                case Prometheus.Gauge gauge when _kind == Kind.UpDown:
                    gauge.WithLabels(values).Inc(value);
                    break;
                case Prometheus.Gauge gauge:
                    gauge.WithLabels(values).Set(value);
                    break;
                case Prometheus.Histogram histogram:
                    histogram.WithLabels(values).Observe(value);
                    break;
            }
        }

        /// <summary>The series of these tags, made (and so published at zero) when it is not there yet.</summary>
        public void Declare(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var (collector, values) = Labelled(tags);
            // prometheus-net publishes a labelled child when it is made, before anything is recorded in it.
            switch (collector)
            {
                case Prometheus.Counter counter:
                    counter.WithLabels(values);
                    break;
                case Prometheus.Gauge gauge:
                    gauge.WithLabels(values);
                    break;
                case Prometheus.Histogram histogram:
                    histogram.WithLabels(values);
                    break;
            }
        }

        /// <summary>The metric of the tags' names and the label values in its order.</summary>
        private (Collector Collector, string[] Values) Labelled(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            // Tags come in any order; Prometheus labels are one set per metric, sorted here by name.
            var names = new string[tags.Length];
            var values = new string[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                names[i] = Sanitize(tags[i].Key);
                values[i] = tags[i].Value?.ToString() ?? "";
            }

            Array.Sort(names, values, StringComparer.Ordinal);
            var collector = _byLabelNames.GetOrAdd(string.Join(',', names), static (_, state) => state.Self.Create(state.Names), (Self: this, Names: names));
            return (collector, values);
        }

        private Collector Create(string[] labelNames) => _kind switch
        {
            Kind.Counter or Kind.ObservedCounter => _factory.CreateCounter(_name, _help, labelNames),
            Kind.Histogram => _factory.CreateHistogram(_name, _help, labelNames, new HistogramConfiguration { Buckets = _buckets }),
            _ => _factory.CreateGauge(_name, _help, labelNames),
        };

        /// <summary>The bucket bounds the instrument advises, else null for prometheus-net's defaults.</summary>
        private static double[]? AdvisedBuckets(Instrument instrument) => instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            _ => null,
        };
    }
}
