using System.Diagnostics.Metrics;
using System.Text;
using Prometheus;
using SlmCluster.ServiceDefaults.Metrics;

namespace SlmCluster.UnitTests.ServiceDefaults;

/// <summary>What /metrics shows of our instruments once prometheus-net has them: the names, types, labels and buckets Prometheus reads.</summary>
public sealed class PrometheusMeterBridgeTests : IDisposable
{
    private readonly Meter _meter = new("SlmCluster.Tests." + Guid.NewGuid().ToString("N"));
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly PrometheusMeterBridge _bridge;

    public PrometheusMeterBridgeTests() => _bridge = new PrometheusMeterBridge(_registry, meter => ReferenceEquals(meter, _meter));

    public void Dispose()
    {
        _bridge.Dispose();
        _meter.Dispose();
    }

    private async Task<string[]> LinesAsync()
    {
        using var text = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(text);
        return Encoding.UTF8.GetString(text.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task A_counter_is_a_counter_ending_in_total_that_sums_its_increments_per_label_set_whatever_the_tag_order()
    {
        var requests = _meter.CreateCounter<long>("slm.requests", "{request}", "Requests answered");
        requests.Add(2, new("status", "ok"), new("model", "m"));
        requests.Add(1, new("model", "m"), new("status", "ok"));
        requests.Add(1, new("model", "m"), new("status", "unavailable"));

        var lines = await LinesAsync();

        Assert.Contains("# HELP slm_requests_total Requests answered", lines);
        Assert.Contains("# TYPE slm_requests_total counter", lines);
        Assert.Contains("""slm_requests_total{model="m",status="ok"} 3""", lines);
        Assert.Contains("""slm_requests_total{model="m",status="unavailable"} 1""", lines);
    }

    [Fact]
    public async Task A_histogram_has_the_buckets_its_instrument_advises()
    {
        var duration = _meter.CreateHistogram<double>("slm.request.duration", "s", "Request duration",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1, 10] });
        var model = new KeyValuePair<string, object?>("model", "m");
        duration.Record(0.05, model);
        duration.Record(0.1, model); // on a bound: counted in that bucket (le means less than or equal)
        duration.Record(2, model);
        duration.Record(20, model);

        var lines = await LinesAsync();

        Assert.Contains("# TYPE slm_request_duration_seconds histogram", lines);
        Assert.Equal(
        [
            """slm_request_duration_seconds_bucket{model="m",le="0.1"} 2""",
            """slm_request_duration_seconds_bucket{model="m",le="1"} 2""",
            """slm_request_duration_seconds_bucket{model="m",le="10"} 3""",
            """slm_request_duration_seconds_bucket{model="m",le="+Inf"} 4""",
        ], lines.Where(l => l.StartsWith("slm_request_duration_seconds_bucket", StringComparison.Ordinal)));
        Assert.Contains("""slm_request_duration_seconds_sum{model="m"} 22.15""", lines);
        Assert.Contains("""slm_request_duration_seconds_count{model="m"} 4""", lines);
    }

    [Fact]
    public async Task Units_become_suffixes_and_names_and_label_names_are_sanitized()
    {
        _meter.CreateObservableGauge("slm.worker.kv-cache.usage", () => 0.25, "1", "KV");
        _meter.CreateCounter<double>("slm.cost", "USD", "Cost").Add(0.5, new KeyValuePair<string, object?>("api.name", "gpt-5.4"));
        _meter.CreateUpDownCounter<int>("slm.busy", "By", "Bytes").Add(3);

        var lines = await LinesAsync();

        Assert.Contains("# TYPE slm_worker_kv_cache_usage_ratio gauge", lines);
        Assert.Contains("slm_worker_kv_cache_usage_ratio 0.25", lines);
        Assert.Contains("""slm_cost_usd_total{api_name="gpt-5.4"} 0.5""", lines);
        Assert.Contains("# TYPE slm_busy_bytes gauge", lines);
        Assert.Contains("slm_busy_bytes 3", lines);
    }

    [Fact]
    public async Task Observable_instruments_report_their_current_value_at_each_scrape()
    {
        var depth = 1;
        var busySeconds = 1.5;
        _meter.CreateObservableGauge("slm.worker.queue_depth", () => new Measurement<int>(depth, new KeyValuePair<string, object?>("model", "m")), "{request}", "Queue");
        _meter.CreateObservableCounter("slm.worker.busy_time", () => busySeconds, "s", "Busy");

        Assert.Contains("""slm_worker_queue_depth{model="m"} 1""", await LinesAsync());
        depth = 7;
        busySeconds = 4;
        var lines = await LinesAsync();

        Assert.Contains("""slm_worker_queue_depth{model="m"} 7""", lines);
        Assert.Contains("# TYPE slm_worker_busy_time_seconds_total counter", lines);
        Assert.Contains("slm_worker_busy_time_seconds_total 4", lines);
    }

    [Fact]
    public async Task A_declared_series_is_exported_at_zero_before_anything_is_recorded_and_counts_from_there()
    {
        var duration = _meter.CreateHistogram<double>("slm.request.duration", "s", "Request duration",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        var requests = _meter.CreateCounter<long>("slm.requests", "{request}", "Requests answered");
        var model = new KeyValuePair<string, object?>("model", "m");
        _bridge.Declare(duration, model);
        _bridge.Declare(requests, new("status", "ok"), model);

        var before = await LinesAsync();
        Assert.Contains("""slm_request_duration_seconds_bucket{model="m",le="0.1"} 0""", before);
        Assert.Contains("""slm_request_duration_seconds_bucket{model="m",le="+Inf"} 0""", before);
        Assert.Contains("""slm_request_duration_seconds_count{model="m"} 0""", before);
        Assert.Contains("""slm_requests_total{model="m",status="ok"} 0""", before);

        duration.Record(0.5, model);
        _bridge.Declare(duration, model);
        var after = await LinesAsync();
        Assert.Contains("""slm_request_duration_seconds_bucket{model="m",le="1"} 1""", after);
        Assert.Contains("""slm_request_duration_seconds_count{model="m"} 1""", after);
    }

    [Fact]
    public async Task Declaring_a_series_of_an_instrument_the_bridge_does_not_publish_does_nothing()
    {
        using var other = new Meter("Other.Meter");
        _bridge.Declare(other.CreateHistogram<double>("other.duration"), new KeyValuePair<string, object?>("model", "m"));

        Assert.DoesNotContain(await LinesAsync(), l => l.Contains("other_duration", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_negative_counter_increment_is_ignored_rather_than_thrown_at_the_caller()
    {
        var counter = _meter.CreateCounter<int>("slm.mine");
        counter.Add(2);
        counter.Add(-1);

        Assert.Contains("slm_mine_total 2", await LinesAsync());
    }

    [Fact]
    public async Task Instruments_of_other_meters_are_left_out()
    {
        using var other = new Meter("Other.Meter");
        other.CreateCounter<long>("other.requests").Add(1);
        _meter.CreateCounter<long>("slm.mine").Add(1);

        var lines = await LinesAsync();

        Assert.DoesNotContain(lines, l => l.Contains("other_requests", StringComparison.Ordinal));
        Assert.Contains("slm_mine_total 1", lines);
    }
}
