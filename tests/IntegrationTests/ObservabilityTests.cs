using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// What operators see: /metrics that Prometheus' own tools accept, a real Prometheus that finds the request and token
/// series after traffic, the cost each answer carries, and one trace across the gateway and the worker.
/// </summary>
[Collection(ObservedClusterCollection.Name)]
public sealed class ObservabilityTests(ObservedClusterFixture cluster)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static string Completion(string prompt, int maxTokens = 16) =>
        JsonSerializer.Serialize(new { prompt, max_tokens = maxTokens, temperature = 0 });

    private async Task<JsonElement> CompleteAsync(string prompt, int maxTokens = 16)
    {
        using var client = new OpenAiHttpClient(cluster.GatewayHttp);
        var response = await client.PostAsync("/v1/completions", Completion(prompt, maxTokens));
        Assert.True(response.Status == System.Net.HttpStatusCode.OK, response.Text);
        return response.Json;
    }

    /// <summary>Repeats a request until the cache answers it (the first answer is stored in the background).</summary>
    private async Task<JsonElement> CacheHitAsync(string prompt, int maxTokens = 16)
    {
        for (var attempt = 0; ; attempt++)
        {
            var answer = await CompleteAsync(prompt, maxTokens);
            if (answer.GetProperty("slm_cost").GetProperty("cache_hit").GetBoolean() || attempt == 50)
            {
                return answer;
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Gateway_and_worker_metrics_pass_promtool_check_metrics()
    {
        await CompleteAsync("The little dog ran");
        await CacheHitAsync("The little dog ran");

        foreach (var (service, address) in new[] { ("gateway", cluster.GatewayHttp), ("worker", cluster.WorkerHttp) })
        {
            using var response = await Http.GetAsync(new Uri(address, "metrics"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());

            var (exitCode, output) = await Promtool.RunAsync(text, "check", "metrics");
            Assert.True(exitCode == 0 && output.Trim().Length == 0, $"promtool check metrics on the {service}'s /metrics: {output}\n{text}");
        }

        var gateway = await Http.GetStringAsync(new Uri(cluster.GatewayHttp, "metrics"));
        Assert.Contains("# TYPE slm_requests_total counter", gateway);
        Assert.Contains("""slm_requests_total{model="stories260K",source="cache",status="ok"}""", gateway);
        Assert.Contains("""slm_requests_total{model="stories260K",source="worker",status="ok"}""", gateway);
        Assert.Contains("# TYPE slm_request_duration_seconds histogram", gateway);
        Assert.Contains("# TYPE slm_time_to_first_token_seconds histogram", gateway);
        Assert.Contains("# TYPE slm_time_per_output_token_seconds histogram", gateway);
        Assert.Contains("slm_cache_hits_total{", gateway);
        Assert.Contains("slm_cache_misses_total{", gateway);
        Assert.Contains("""slm_workers{state="serving"} 1""", gateway);
        Assert.Contains("""slm_reference_api_cost_usd_total{api="claude-opus-4.7",model="stories260K"}""", gateway);

        var worker = await Http.GetStringAsync(new Uri(cluster.WorkerHttp, "metrics"));
        Assert.Contains("""slm_worker_queue_depth{model="stories260K",worker="worker-observed"}""", worker);
        Assert.Contains("""slm_worker_active_sequences{model="stories260K",worker="worker-observed"}""", worker);
        Assert.Contains("""slm_worker_kv_cache_usage_ratio{model="stories260K",worker="worker-observed"}""", worker);
        Assert.Contains("""slm_worker_slots{model="stories260K",worker="worker-observed"} 2""", worker);
    }

    [Fact]
    public async Task Prometheus_scrapes_the_request_and_token_series_after_traffic()
    {
        var before = await Http.GetStringAsync(new Uri(cluster.GatewayHttp, "metrics"));
        for (var i = 0; i < 3; i++)
        {
            await CompleteAsync($"Prometheus counts request {i} of a story about a cat");
        }

        var timeout = TimeSpan.FromSeconds(15);
        var requests = await cluster.Prometheus.WaitForValueAsync(
            """sum(slm_requests_total{job="slm-gateway",status="ok"})""", v => v >= 3, timeout);
        var tokens = await cluster.Prometheus.WaitForValueAsync(
            """sum(slm_completion_tokens_total{job="slm-gateway"})""", v => v > 0, timeout);
        var prompt = await cluster.Prometheus.WaitForValueAsync(
            """sum(slm_prompt_tokens_total{job="slm-gateway"})""", v => v > 0, timeout);
        var workerTokens = await cluster.Prometheus.WaitForValueAsync(
            """sum(slm_worker_completion_tokens_total{job="slm-workers"})""", v => v > 0, timeout);
        await cluster.Prometheus.WaitForValueAsync(
            """count(slm_request_duration_seconds_bucket{job="slm-gateway",source="worker"})""", v => v > 0, timeout);
        await cluster.Prometheus.WaitForValueAsync("""up{job="slm-workers"}""", v => v == 1, timeout);

        Assert.True(requests >= 3 && tokens > 0 && prompt > 0 && workerTokens > 0, before);
    }

    [Fact]
    public async Task Each_answer_carries_its_self_hosted_cost_and_the_reference_cost_and_a_cache_hit_costs_nothing()
    {
        var prompt = "Once upon a time a small bird wanted to count money";
        var watch = Stopwatch.StartNew();
        var first = await CompleteAsync(prompt, maxTokens: 24);
        var elapsed = watch.Elapsed.TotalSeconds;
        var second = await CacheHitAsync(prompt, maxTokens: 24);

        var usage = first.GetProperty("usage");
        var promptTokens = usage.GetProperty("prompt_tokens").GetInt32();
        var completionTokens = usage.GetProperty("completion_tokens").GetInt32();
        var cost = first.GetProperty("slm_cost");
        // GPT-5.4 list prices: $2.50 per million tokens in, $15.00 per million out.
        var reference = (promptTokens * 2.50 + completionTokens * 15.00) / 1_000_000;
        Assert.Equal("gpt-5.4", cost.GetProperty("reference_api").GetString());
        Assert.Equal(reference, cost.GetProperty("reference_api_cost_usd").GetDouble(), precision: 12);
        // $3.60 an hour is $0.001 a second, and the request held the worker no longer than it took.
        var selfHosted = cost.GetProperty("cost_usd").GetDouble();
        Assert.InRange(selfHosted, 1e-12, elapsed * ObservedClusterFixture.PricePerHour / 3600);
        Assert.Equal(reference - selfHosted, cost.GetProperty("saved_usd").GetDouble(), precision: 12);
        Assert.False(cost.GetProperty("cache_hit").GetBoolean());

        var hit = second.GetProperty("slm_cost");
        Assert.True(hit.GetProperty("cache_hit").GetBoolean());
        Assert.Equal(0, hit.GetProperty("cost_usd").GetDouble());
        Assert.Equal(reference, hit.GetProperty("reference_api_cost_usd").GetDouble(), precision: 12);

        // The running totals include this answer's costs.
        var metrics = await Http.GetStringAsync(new Uri(cluster.GatewayHttp, "metrics"));
        Assert.True(Sample(metrics, """slm_cost_usd_total{model="stories260K"}""") >= selfHosted);
        Assert.True(Sample(metrics, """slm_reference_api_cost_usd_total{api="gpt-5.4",model="stories260K"}""") >= 2 * reference - 1e-12);
    }

    [Fact]
    public async Task Requests_for_an_unknown_model_are_counted_as_not_found_over_HTTP_and_gRPC()
    {
        // The requested name is not a label value (callers choose it); the refusal is counted under model "unknown".
        const string series = """slm_requests_total{model="unknown",source="gateway",status="not_found"}""";
        var before = SampleOrZero(await Http.GetStringAsync(new Uri(cluster.GatewayHttp, "metrics")), series);

        using var client = new OpenAiHttpClient(cluster.GatewayHttp);
        var http = await client.PostAsync("/v1/completions", JsonSerializer.Serialize(new { model = "no-such-model", prompt = "Hello", max_tokens = 4 }));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, http.Status);
        var grpc = await Assert.ThrowsAsync<RpcException>(() => new InferenceClient(cluster.Gateway.Channel).GenerateAsync(
            new GenerateRequest { Model = "no-such-model", Prompt = "Hello", MaxTokens = 4 }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30))).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, grpc.StatusCode);

        // A gRPC call is counted once its status has left, so the count may trail the answer a little.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string metrics;
        double counted;
        do
        {
            await Task.Delay(20);
            metrics = await Http.GetStringAsync(new Uri(cluster.GatewayHttp, "metrics"));
            counted = SampleOrZero(metrics, series);
        }
        while (counted < before + 2 && DateTime.UtcNow < deadline);

        Assert.Equal(before + 2, counted);
        Assert.DoesNotContain("no-such-model", metrics);
    }

    [Fact]
    public async Task One_trace_follows_a_request_from_the_gateway_to_the_worker()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var callerSpan = ActivitySpanId.CreateRandom().ToHexString();
        using var client = new OpenAiHttpClient(cluster.GatewayHttp);
        client.Http.DefaultRequestHeaders.Add("traceparent", $"00-{traceId}-{callerSpan}-01");
        var response = await client.PostAsync("/v1/completions", Completion("A trace of a fox", maxTokens: 4));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.Status);

        // The gateway's request span ends once the answer has left, the worker's generation span when the worker has
        // wound the generation down: with both here, the request's chain is whole.
        const string Gateway = "SlmCluster.Gateway", Worker = "SlmCluster.Worker", AspNetCore = "Microsoft.AspNetCore", Orleans = "Microsoft.Orleans.Application";
        var deadline = DateTime.UtcNow.AddSeconds(15);
        List<OtlpSpan> trace;
        while (!((trace = cluster.Traces.Spans.Where(s => s.TraceId == traceId).ToList()).Any(s => s.Name == "slm.worker.generate")
                 && trace.Any(s => s.Service == Gateway && s.Scope == AspNetCore)))
        {
            Assert.True(DateTime.UtcNow < deadline,
                $"The spans of trace {traceId} did not arrive ({cluster.Traces.Exports.Count} exports received): {Describe(trace)}");
            await Task.Delay(100);
        }

        var description = Describe(trace);

        // Gateway: the HTTP request continues the caller's span, the generation is inside it, and the call to the
        // worker grain is inside that (not also an HttpClient span).
        var gatewayRequest = Assert.Single(trace, s => s.Service == Gateway && s.Scope == AspNetCore);
        Assert.True(gatewayRequest.ParentSpanId == callerSpan, description);
        var generate = Assert.Single(trace, s => s.Name == "slm.gateway.generate");
        Assert.True(generate.ParentSpanId == gatewayRequest.SpanId, description);
        var workerCall = Assert.Single(trace, s => s.Name == "slm.gateway.worker_call");
        Assert.True(workerCall.ParentSpanId == generate.SpanId && workerCall.Kind == OtlpSpan.KindClient, description);
        Assert.DoesNotContain(trace, s => s.Scope == "System.Net.Http");

        // Worker: the generation continues the gateway's call, across the silos through Orleans' grain call spans
        // (the gateway's client spans, the worker's server span) and nothing else.
        var workerGenerate = Assert.Single(trace, s => s.Name == "slm.worker.generate");
        Assert.True(workerGenerate.Service == Worker, description);
        var byId = trace.ToDictionary(s => s.SpanId);
        var path = new List<OtlpSpan>();
        for (var span = workerGenerate; span.ParentSpanId != workerCall.SpanId; span = byId[span.ParentSpanId])
        {
            Assert.True(byId.ContainsKey(span.ParentSpanId), $"slm.worker.generate does not descend from slm.gateway.worker_call: {description}");
            path.Add(byId[span.ParentSpanId]);
        }

        Assert.True(path.All(s => s.Scope == Orleans), description);
        Assert.Contains(path, s => s.Service == Worker && s.Kind == OtlpSpan.KindServer);
        Assert.Contains(path, s => s.Service == Gateway && s.Kind == OtlpSpan.KindClient);
    }

    [Fact]
    public async Task Metrics_and_logs_of_both_services_reach_the_OTLP_endpoint()
    {
        await CompleteAsync("The dashboard counts a story about a hen");

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!(cluster.Traces.HasMetric("SlmCluster.Gateway", "slm.requests")
            && cluster.Traces.HasMetric("SlmCluster.Worker", "slm.worker.queue_depth")
            && cluster.Traces.HasMetric("SlmCluster.Gateway", "http.server.request.duration")
            && cluster.Traces.HasLog("SlmCluster.Gateway", "Now listening on")
            && cluster.Traces.HasLog("SlmCluster.Worker", "Now listening on")))
        {
            Assert.True(DateTime.UtcNow < deadline, "The services' slm.* metrics, ASP.NET Core's request duration or their start-up logs did not arrive over OTLP.");
            await Task.Delay(100);
        }
    }

    private static string Describe(IEnumerable<OtlpSpan> spans) =>
        string.Join("; ", spans.Select(s => $"{s.Service}/{s.Scope} {s.Name} kind {s.Kind} span {s.SpanId} parent {s.ParentSpanId}"));

    private static double SampleOrZero(string metrics, string series) =>
        metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal)) is { } line
            ? double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture)
            : 0;

    private static double Sample(string metrics, string series)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"{series} is not in /metrics:\n{metrics}");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
