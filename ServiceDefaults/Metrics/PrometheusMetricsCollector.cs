using System.Diagnostics.Metrics;
using System.Text;

namespace SlmCluster.ServiceDefaults.Metrics;

/// <summary>
/// Listens to <see cref="System.Diagnostics.Metrics"/> instruments and writes what they measured in the Prometheus
/// text exposition format (version 0.0.4): counters as running totals, up-down counters and gauges as their
/// current value, histograms as cumulative buckets with <c>_sum</c> and <c>_count</c>.
/// </summary>
public sealed class PrometheusMetricsCollector : IDisposable
{
    /// <summary>The content type of <see cref="Write"/>'s output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly MeterListener _listener = new();
    private readonly Dictionary<Instrument, InstrumentSeries> _instruments = [];
    private readonly Lock _lock = new();

    /// <param name="include">Which meters' instruments are exported.</param>
    public PrometheusMetricsCollector(Func<Meter, bool> include)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!include(instrument.Meter) || InstrumentSeries.For(instrument) is not { } series)
            {
                return;
            }

            lock (_lock)
            {
                _instruments[instrument] = series;
            }

            listener.EnableMeasurementEvents(instrument, series);
        };
        _listener.MeasurementsCompleted = (instrument, _) =>
        {
            lock (_lock)
            {
                _instruments.Remove(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record((double)value, tags));
        _listener.Start();
    }

    /// <summary>Reads the observable instruments now and writes every metric, one family per name, sorted by name.</summary>
    public string Write()
    {
        InstrumentSeries[] instruments;
        lock (_lock)
        {
            instruments = [.. _instruments.Values];
        }

        // One scrape at a time: observable series are rebuilt from their callbacks for each.
        lock (_listener)
        {
            foreach (var instrument in instruments.Where(i => i.IsObservable))
            {
                instrument.Clear();
            }

            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            foreach (var family in instruments.GroupBy(i => i.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var first = family.First();
                text.Append("# HELP ").Append(family.Key).Append(' ').Append(PrometheusNaming.EscapeHelp(first.Help)).Append('\n');
                text.Append("# TYPE ").Append(family.Key).Append(' ').Append(first.Type).Append('\n');
                foreach (var instrument in family.Where(i => i.Type == first.Type))
                {
                    instrument.WriteSamples(text);
                }
            }

            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();
}
