using System.Diagnostics.Metrics;
using System.Text;

namespace SlmCluster.ServiceDefaults.Metrics;

/// <summary>What one instrument measured, one series per distinct set of tags.</summary>
internal sealed class InstrumentSeries
{
    /// <summary>Prometheus' default buckets, for histograms that give no advice.</summary>
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Dictionary<string, Sample> _series = new(StringComparer.Ordinal);
    private readonly Aggregation _aggregation;
    private readonly double[] _buckets;

    private InstrumentSeries(Instrument instrument, Aggregation aggregation, string type, double[] buckets)
    {
        _aggregation = aggregation;
        _buckets = buckets;
        Type = type;
        IsObservable = instrument.IsObservable;
        Name = PrometheusNaming.MetricName(instrument, isCounter: type == "counter");
        Help = string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description;
    }

    private enum Aggregation
    {
        /// <summary>Measurements are increments (Counter, UpDownCounter).</summary>
        Sum,

        /// <summary>Measurements are the current value (observable instruments, Gauge).</summary>
        LastValue,

        Histogram,
    }

    public string Name { get; }

    public string Help { get; }

    /// <summary>counter, gauge or histogram.</summary>
    public string Type { get; }

    public bool IsObservable { get; }

    /// <summary>The series for a supported instrument, else null.</summary>
    public static InstrumentSeries? For(Instrument instrument)
    {
        var type = instrument.GetType();
        if (!type.IsGenericType)
        {
            return null;
        }

        var definition = type.GetGenericTypeDefinition();
        if (definition == typeof(Counter<>))
        {
            return new(instrument, Aggregation.Sum, "counter", []);
        }

        if (definition == typeof(ObservableCounter<>))
        {
            return new(instrument, Aggregation.LastValue, "counter", []);
        }

        if (definition == typeof(UpDownCounter<>))
        {
            return new(instrument, Aggregation.Sum, "gauge", []);
        }

        if (definition == typeof(ObservableUpDownCounter<>) || definition == typeof(ObservableGauge<>) || definition == typeof(Gauge<>))
        {
            return new(instrument, Aggregation.LastValue, "gauge", []);
        }

        if (definition == typeof(Histogram<>))
        {
            return new(instrument, Aggregation.Histogram, "histogram", BucketsOf(instrument));
        }

        return null;
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        lock (_series)
        {
            if (!_series.TryGetValue(labels, out var sample))
            {
                sample = new Sample(_aggregation == Aggregation.Histogram ? new long[_buckets.Length] : null);
                _series[labels] = sample;
            }

            switch (_aggregation)
            {
                case Aggregation.Sum:
                    sample.Value += value;
                    break;
                case Aggregation.LastValue:
                    sample.Value = value;
                    break;
                default:
                    var bucket = Array.BinarySearch(_buckets, value);
                    // Upper bounds are inclusive (le): a value equal to a bound counts in that bound's bucket.
                    bucket = bucket >= 0 ? bucket : ~bucket;
                    if (bucket < _buckets.Length)
                    {
                        sample.BucketCounts![bucket]++;
                    }

                    sample.Value += value;
                    sample.Count++;
                    break;
            }
        }
    }

    /// <summary>Forgets every series (observable instruments report all of theirs again at each collection).</summary>
    public void Clear()
    {
        lock (_series)
        {
            _series.Clear();
        }
    }

    public void WriteSamples(StringBuilder text)
    {
        lock (_series)
        {
            foreach (var (labels, sample) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                if (_aggregation != Aggregation.Histogram)
                {
                    Line(text, Name, labels, null, sample.Value);
                    continue;
                }

                long cumulative = 0;
                for (var i = 0; i < _buckets.Length; i++)
                {
                    cumulative += sample.BucketCounts![i];
                    Line(text, Name + "_bucket", labels, PrometheusNaming.FormatValue(_buckets[i]), cumulative);
                }

                Line(text, Name + "_bucket", labels, "+Inf", sample.Count);
                Line(text, Name + "_sum", labels, null, sample.Value);
                Line(text, Name + "_count", labels, null, sample.Count);
            }
        }
    }

    private static void Line(StringBuilder text, string name, string labels, string? le, double value)
    {
        text.Append(name);
        if (labels.Length > 0 || le is not null)
        {
            text.Append('{').Append(labels);
            if (le is not null)
            {
                text.Append(labels.Length > 0 ? ",le=\"" : "le=\"").Append(le).Append('"');
            }

            text.Append('}');
        }

        text.Append(' ').Append(PrometheusNaming.FormatValue(value)).Append('\n');
    }

    /// <summary>The label pairs inside the braces, sorted by name: <c>model="m",status="ok"</c>.</summary>
    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return "";
        }

        var sorted = tags.ToArray();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var text = new StringBuilder();
        foreach (var (key, value) in sorted)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            var formatted = value switch
            {
                null => "",
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                _ => value.ToString() ?? "",
            };
            text.Append(PrometheusNaming.LabelName(key)).Append("=\"").Append(PrometheusNaming.EscapeLabelValue(formatted)).Append('"');
        }

        return text.ToString();
    }

    private static double[] BucketsOf(Instrument instrument)
    {
        IEnumerable<double>? advised = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries,
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b),
            _ => null,
        };
        var buckets = (advised ?? DefaultBuckets).Where(b => !double.IsNaN(b) && !double.IsPositiveInfinity(b)).Distinct().Order().ToArray();
        return buckets;
    }

    private sealed class Sample(long[]? bucketCounts)
    {
        /// <summary>The sum or last value; for a histogram, the sum of observations.</summary>
        public double Value;

        public long Count;

        /// <summary>Per bucket (not cumulative) observation counts of a histogram.</summary>
        public long[]? BucketCounts { get; } = bucketCounts;
    }
}
