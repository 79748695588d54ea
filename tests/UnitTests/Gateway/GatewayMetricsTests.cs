using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Prometheus;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Costs;
using SlmCluster.Gateway.Observability;
using SlmCluster.Gateway.Routing;
using SlmCluster.ServiceDefaults.Metrics;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>The gateway's metric names and labels as Prometheus sees them, and the running cost totals.</summary>
public sealed class GatewayMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly WorkerPool _pool = new();
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly PrometheusMeterBridge _bridge;
    private readonly GatewayMetrics _metrics;

    public GatewayMetricsTests()
    {
        var meterFactory = _services.GetRequiredService<IMeterFactory>();
        _bridge = new PrometheusMeterBridge(_registry, meter => ReferenceEquals(meter.Scope, meterFactory));
        var pricing = new ReferencePricing(Options.Create(new CostOptions()));
        _metrics = new GatewayMetrics(meterFactory, _pool, pricing, new ServingStats(pricing, new ManualTimeProvider()), _bridge);
    }

    public void Dispose()
    {
        _bridge.Dispose();
        _services.Dispose();
    }

    private async Task<string[]> LinesAsync()
    {
        using var text = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(text);
        return System.Text.Encoding.UTF8.GetString(text.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task A_served_request_is_counted_with_its_tokens_latencies_and_costs()
    {
        // 2 s in all, first token after 0.5 s, 11 tokens: 1.5 s over the 10 after the first is 0.15 s per token.
        _metrics.RequestEnded(new RequestRecord("m", "ok", RequestRecord.FromWorker, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(0.5), 1_000, 11, 0.002));
        _metrics.RequestEnded(new RequestRecord("m", "ok", RequestRecord.FromCache, TimeSpan.FromMilliseconds(3), TimeSpan.FromMilliseconds(3), 1_000, 11, 0));
        _metrics.CacheHit("m");
        _metrics.CacheMiss("m");

        var lines = await LinesAsync();

        Assert.Contains("""slm_requests_total{model="m",source="worker",status="ok"} 1""", lines);
        Assert.Contains("""slm_requests_total{model="m",source="cache",status="ok"} 1""", lines);
        Assert.Contains("""slm_prompt_tokens_total{model="m",source="worker"} 1000""", lines);
        Assert.Contains("""slm_completion_tokens_total{model="m",source="cache"} 11""", lines);
        Assert.Contains("""slm_request_duration_seconds_count{model="m",source="worker"} 1""", lines);
        Assert.Contains("""slm_time_to_first_token_seconds_sum{model="m",source="worker"} 0.5""", lines);
        Assert.Contains("""slm_time_per_output_token_seconds_sum{model="m"} 0.15""", lines);
        Assert.Contains("""slm_cache_hits_total{model="m"} 1""", lines);
        Assert.Contains("""slm_cache_misses_total{model="m"} 1""", lines);
        // Only the worker's answer cost anything here.
        Assert.Contains("""slm_cost_usd_total{model="m"} 0.002""", lines);
        // Twice 1,000 tokens in and 11 out at GPT-5.4: 2 × ($0.0025 + $0.000165) = $0.00533
        var reference = lines.Single(l => l.StartsWith("""slm_reference_api_cost_usd_total{api="gpt-5.4",model="m"} """, StringComparison.Ordinal));
        Assert.Equal(0.00533, double.Parse(reference.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), precision: 12);
        Assert.Contains(lines, l => l.StartsWith("""slm_reference_api_cost_usd_total{api="claude-opus-4.7",model="m"} """, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_declared_model_has_its_request_cache_token_and_latency_series_at_0_and_a_request_moves_only_its_own()
    {
        _metrics.DeclareModel("m");

        var before = await LinesAsync();
        Assert.Contains("""slm_cache_hits_total{model="m"} 0""", before);
        Assert.Contains("""slm_cache_misses_total{model="m"} 0""", before);
        Assert.Contains("""slm_requests_total{model="m",source="worker",status="ok"} 0""", before);
        Assert.Contains("""slm_requests_total{model="m",source="worker",status="deadline_exceeded"} 0""", before);
        Assert.Contains("""slm_requests_total{model="m",source="gateway",status="unavailable"} 0""", before);
        Assert.Contains("""slm_requests_total{model="m",source="cache",status="cancelled"} 0""", before);
        Assert.Contains("""slm_prompt_tokens_total{model="m",source="worker"} 0""", before);
        Assert.Contains("""slm_completion_tokens_total{model="m",source="cache"} 0""", before);
        Assert.Contains("""slm_request_duration_seconds_count{model="m",source="worker"} 0""", before);
        Assert.Contains("""slm_time_to_first_token_seconds_count{model="m",source="cache"} 0""", before);
        Assert.Contains("""slm_time_per_output_token_seconds_count{model="m"} 0""", before);
        Assert.Contains("""slm_cost_usd_total{model="m"} 0""", before);
        Assert.Contains("""slm_reference_api_cost_usd_total{api="gpt-5.4",model="m"} 0""", before);

        _metrics.CacheMiss("m");
        _metrics.RequestEnded(new RequestRecord("m", "ok", RequestRecord.FromWorker, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(0.5), 10, 3, 0));

        var after = await LinesAsync();
        Assert.Contains("""slm_cache_misses_total{model="m"} 1""", after);
        Assert.Contains("""slm_cache_hits_total{model="m"} 0""", after);
        Assert.Contains("""slm_requests_total{model="m",source="worker",status="ok"} 1""", after);
        Assert.Contains("""slm_requests_total{model="m",source="cache",status="ok"} 0""", after);
        Assert.Contains("""slm_request_duration_seconds_count{model="m",source="worker"} 1""", after);
    }

    [Fact]
    public async Task A_worker_joining_the_pool_makes_its_models_series_exist()
    {
        _pool.Add(new RoutedWorker("S127.0.0.1:11111:1", grain: null!) { Models = [new Protocol.V1.ModelInfo { Id = "joined-model" }] });

        var lines = await LinesAsync();

        Assert.Contains("""slm_cache_hits_total{model="joined-model"} 0""", lines);
        Assert.Contains("""slm_requests_total{model="joined-model",source="worker",status="ok"} 0""", lines);
    }

    [Fact]
    public void The_status_label_is_the_gRPC_status_in_snake_case()
    {
        Assert.Equal("ok", RequestRecord.StatusOf(Grpc.Core.StatusCode.OK));
        Assert.Equal("cancelled", RequestRecord.StatusOf(Grpc.Core.StatusCode.Cancelled));
        Assert.Equal("deadline_exceeded", RequestRecord.StatusOf(Grpc.Core.StatusCode.DeadlineExceeded));
        Assert.Equal(Enum.GetValues<Grpc.Core.StatusCode>().Length, RequestRecord.Statuses.Distinct().Count());
    }

    [Fact]
    public async Task Workers_are_reported_by_state()
    {
        var lines = await LinesAsync();

        Assert.Contains("# TYPE slm_workers gauge", lines);
        Assert.Contains("""slm_workers{state="serving"} 0""", lines);
        Assert.Contains("""slm_workers{state="draining"} 0""", lines);
        Assert.Contains("""slm_workers{state="unhealthy"} 0""", lines);
    }
}
