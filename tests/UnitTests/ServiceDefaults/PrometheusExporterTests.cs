using System.Diagnostics.Metrics;
using SlmCluster.ServiceDefaults.Metrics;

namespace SlmCluster.UnitTests.ServiceDefaults;

/// <summary>The /metrics text: what Prometheus parses, line by line.</summary>
public sealed class PrometheusExporterTests : IDisposable
{
    private readonly Meter _meter = new("SlmCluster.Tests." + Guid.NewGuid().ToString("N"));
    private readonly PrometheusMetricsCollector _collector;

    public PrometheusExporterTests() => _collector = new PrometheusMetricsCollector(meter => ReferenceEquals(meter, _meter));

    public void Dispose()
    {
        _collector.Dispose();
        _meter.Dispose();
    }

    private string[] Lines() => _collector.Write().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void A_counter_ends_in_total_and_sums_its_increments_per_label_set()
    {
        var requests = _meter.CreateCounter<long>("slm.requests", "{request}", "Requests answered");
        requests.Add(2, new("status", "ok"), new("model", "m"));
        requests.Add(1, new("model", "m"), new("status", "ok"));
        requests.Add(1, new("model", "m"), new("status", "unavailable"));

        Assert.Equal(
        [
            "# HELP slm_requests_total Requests answered",
            "# TYPE slm_requests_total counter",
            """slm_requests_total{model="m",status="ok"} 3""",
            """slm_requests_total{model="m",status="unavailable"} 1""",
        ], Lines());
    }

    [Fact]
    public void A_histogram_has_cumulative_buckets_an_inf_bucket_a_sum_and_a_count()
    {
        var duration = _meter.CreateHistogram<double>("slm.request.duration", "s", "Request duration",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1, 10] });
        duration.Record(0.05);
        duration.Record(0.1); // on a bound: counted in that bucket (le means less than or equal)
        duration.Record(2);
        duration.Record(20);

        Assert.Equal(
        [
            "# HELP slm_request_duration_seconds Request duration",
            "# TYPE slm_request_duration_seconds histogram",
            """slm_request_duration_seconds_bucket{le="0.1"} 2""",
            """slm_request_duration_seconds_bucket{le="1"} 2""",
            """slm_request_duration_seconds_bucket{le="10"} 3""",
            """slm_request_duration_seconds_bucket{le="+Inf"} 4""",
            "slm_request_duration_seconds_sum 22.15",
            "slm_request_duration_seconds_count 4",
        ], Lines());
    }

    [Fact]
    public void Histogram_labels_come_before_le()
    {
        var duration = _meter.CreateHistogram<double>("slm.time_to_first_token", "s", "TTFT",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1] });
        duration.Record(0.5, new KeyValuePair<string, object?>("model", "m"));

        Assert.Contains("""slm_time_to_first_token_seconds_bucket{model="m",le="1"} 1""", Lines());
        Assert.Contains("""slm_time_to_first_token_seconds_bucket{model="m",le="+Inf"} 1""", Lines());
        Assert.Contains("""slm_time_to_first_token_seconds_count{model="m"} 1""", Lines());
    }

    [Fact]
    public void Label_values_escape_backslashes_quotes_and_line_feeds_and_help_escapes_its_own()
    {
        var counter = _meter.CreateCounter<long>("slm.odd", null, "Line one\nback\\slash \"quoted\"");
        counter.Add(1, new KeyValuePair<string, object?>("model", "a\"b\\c\nd"));

        Assert.Equal(
        [
            """# HELP slm_odd_total Line one\nback\\slash "quoted" """.TrimEnd(),
            "# TYPE slm_odd_total counter",
            """slm_odd_total{model="a\"b\\c\nd"} 1""",
        ], Lines());
    }

    [Fact]
    public void Names_and_label_names_are_sanitized_and_units_become_suffixes()
    {
        _meter.CreateObservableGauge("slm.worker.kv-cache.usage", () => 0.25, "1", "KV");
        _meter.CreateCounter<double>("slm.cost", "USD", "Cost").Add(0.5, new KeyValuePair<string, object?>("api.name", "gpt-5.4"));
        _meter.CreateUpDownCounter<int>("slm.busy", "By", "Bytes").Add(3);

        var lines = Lines();

        Assert.Contains("slm_worker_kv_cache_usage_ratio 0.25", lines);
        Assert.Contains("# TYPE slm_worker_kv_cache_usage_ratio gauge", lines);
        Assert.Contains("""slm_cost_usd_total{api_name="gpt-5.4"} 0.5""", lines);
        Assert.Contains("# TYPE slm_busy_bytes gauge", lines);
        Assert.Contains("slm_busy_bytes 3", lines);
    }

    [Fact]
    public void Observable_gauges_report_their_current_value_at_each_scrape()
    {
        var depth = 1;
        _meter.CreateObservableGauge("slm.worker.queue_depth", () => new Measurement<int>(depth, new KeyValuePair<string, object?>("model", "m")), "{request}", "Queue");

        Assert.Contains("""slm_worker_queue_depth{model="m"} 1""", Lines());
        depth = 7;
        Assert.Contains("""slm_worker_queue_depth{model="m"} 7""", Lines());
    }

    [Fact]
    public void Values_use_Prometheus_spellings_for_infinities_and_NaN()
    {
        Assert.Equal("+Inf", PrometheusNaming.FormatValue(double.PositiveInfinity));
        Assert.Equal("-Inf", PrometheusNaming.FormatValue(double.NegativeInfinity));
        Assert.Equal("NaN", PrometheusNaming.FormatValue(double.NaN));
        Assert.Equal("1E-05", PrometheusNaming.FormatValue(0.00001));
    }

    [Fact]
    public void Instruments_of_other_meters_are_left_out()
    {
        using var other = new Meter("Other.Meter");
        other.CreateCounter<long>("other.requests").Add(1);
        _meter.CreateCounter<long>("slm.mine").Add(1);

        Assert.DoesNotContain(Lines(), l => l.Contains("other_requests", StringComparison.Ordinal));
        Assert.Contains("slm_mine_total 1", Lines());
    }
}
