using System.Globalization;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// A series that appears with its first event hides that event from <c>rate()</c> and from alerts: every series whose
/// labels are known at start (the configured routes, their tiers and models, the models workers report) is on
/// <c>/metrics</c> at 0 before the first request, and a request moves its own series only.
/// </summary>
public sealed class MetricsFromStartTests
{
    private const string Model = ClusterFixture.ModelId;

    /// <summary>Named only by the route's configuration: no worker serves it.</summary>
    private const string RouteOnlyModel = "tinystories-656k-q8_0";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Series_known_at_start_are_scraped_at_0_before_any_request_and_one_request_moves_only_its_own()
    {
        await using var redis = await LocalRedisServer.StartAsync();
        await using var worker = ServiceProcess.StartWorker("worker-fresh", redis, TestPaths.Model(ClusterFixture.ModelFile));
        const string route = "--Gateway:Cascade:Routes:auto:Tiers";
        await using var gateway = ServiceProcess.StartGateway(redis,
            $"{route}:0:Name=small", $"{route}:0:Model={RouteOnlyModel}", $"{route}:0:Accept=",
            // Never called: no request here names the route.
            $"{route}:1:Name=flagship", $"{route}:1:External:BaseUrl=http://127.0.0.1:9/v1", $"{route}:1:External:Model=flagship-model");
        // A gateway serves once a worker is in its pool: the worker's model is known from then on.
        await Task.WhenAll(worker.WaitHealthyAsync(), gateway.WaitHealthyAsync());

        var gatewayAtStart = await ScrapeAsync(gateway);
        string[] zeroAtStart =
        [
            // The worker's model, known as it joined.
            $$"""slm_cache_hits_total{model="{{Model}}"}""",
            $$"""slm_cache_misses_total{model="{{Model}}"}""",
            $$"""slm_requests_total{model="{{Model}}",source="worker",status="ok"}""",
            $$"""slm_requests_total{model="{{Model}}",source="worker",status="unavailable"}""",
            $$"""slm_requests_total{model="{{Model}}",source="cache",status="ok"}""",
            $$"""slm_request_duration_seconds_count{model="{{Model}}",source="worker"}""",
            $$"""slm_time_to_first_token_seconds_count{model="{{Model}}",source="worker"}""",
            $$"""slm_completion_tokens_total{model="{{Model}}",source="worker"}""",
            // The route's name, its tiers' models and the refusals before any model: known from the configuration.
            """slm_requests_total{model="auto",source="worker",status="ok"}""",
            $$"""slm_cache_hits_total{model="{{RouteOnlyModel}}"}""",
            """slm_requests_total{model="flagship-model",source="worker",status="ok"}""",
            """slm_requests_total{model="unknown",source="gateway",status="not_found"}""",
            // The route's tiers by outcome, and its costs.
            """slm_cascade_requests_total{outcome="accepted",route="auto",tier="small"}""",
            """slm_cascade_requests_total{outcome="error",route="auto",tier="flagship"}""",
            """slm_cascade_cost_usd_total{route="auto"}""",
            $$"""slm_constrained_requests_total{kind="json_object",model="{{Model}}"}""",
            $$"""slm_constrained_requests_total{kind="json_schema",model="{{Model}}"}""",
            $$"""slm_constrained_requests_total{kind="grammar",model="{{Model}}"}""",
        ];
        foreach (var series in zeroAtStart)
        {
            Assert.True(Sample(gatewayAtStart, series) == 0, $"{series} is not at 0 before the first request:\n{gatewayAtStart}");
        }

        var workerAtStart = await ScrapeAsync(worker);
        foreach (var series in new[]
                 {
                     $$"""slm_worker_requests_total{model="{{Model}}",status="ok"}""",
                     $$"""slm_worker_requests_total{model="{{Model}}",status="resource_exhausted"}""",
                     $$"""slm_worker_request_duration_seconds_count{model="{{Model}}"}""",
                     $$"""slm_worker_completion_tokens_total{model="{{Model}}"}""",
                 })
        {
            Assert.True(Sample(workerAtStart, series) == 0, $"{series} is not at 0 before the first request:\n{workerAtStart}");
        }

        // The grammar families carry the worker's id too: every one of them is there, at 0.
        foreach (var (family, label) in new[]
                 {
                     ("slm_worker_grammar_requests_total{", ""), ("slm_worker_grammar_tokens_total{", ""), ("slm_worker_grammar_resamples_total{", ""),
                     ("slm_worker_grammar_time_seconds_total{", ""), ("slm_worker_grammar_failures_total{", "reason=\"no_token\""),
                     ("slm_worker_grammar_failures_total{", "reason=\"refused\""),
                 })
        {
            var lines = workerAtStart.Split('\n')
                .Where(l => l.StartsWith(family, StringComparison.Ordinal) && l.Contains($"model=\"{Model}\"", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))
                .ToArray();
            Assert.True(lines.Length > 0 && lines.All(l => l.EndsWith(" 0", StringComparison.Ordinal)), $"{family}{label} is not at 0 before the first request:\n{workerAtStart}");
        }

        await new InferenceClient(gateway.Channel).GenerateAsync(new GenerateRequest
        {
            Model = Model,
            Prompt = "Once upon a time",
            MaxTokens = 4,
            Sampling = new SamplingParams { Temperature = 0 },
        }, deadline: DateTime.UtcNow.AddSeconds(30));

        // A gRPC call is counted once its status has left, so the count may trail the answer a little.
        var served = $$"""slm_requests_total{model="{{Model}}",source="worker",status="ok"}""";
        string gatewayAfter = "";
        await Eventually.HoldsAsync(async () => Sample(gatewayAfter = await ScrapeAsync(gateway), served) == 1);
        Assert.Equal(1, Sample(gatewayAfter, $$"""slm_cache_misses_total{model="{{Model}}"}"""));
        Assert.Equal(1, Sample(gatewayAfter, $$"""slm_request_duration_seconds_count{model="{{Model}}",source="worker"}"""));
        Assert.Equal(0, Sample(gatewayAfter, $$"""slm_cache_hits_total{model="{{Model}}"}"""));
        Assert.Equal(0, Sample(gatewayAfter, $$"""slm_requests_total{model="{{Model}}",source="worker",status="unavailable"}"""));
        Assert.Equal(0, Sample(gatewayAfter, """slm_cascade_requests_total{outcome="accepted",route="auto",tier="small"}"""));

        // The worker counts a request once its generation has wound down, which may trail the answer too.
        string workerAfter = "";
        await Eventually.HoldsAsync(async () =>
            Sample(workerAfter = await ScrapeAsync(worker), $$"""slm_worker_requests_total{model="{{Model}}",status="ok"}""") == 1);
        Assert.Equal(0, Sample(workerAfter, $$"""slm_worker_requests_total{model="{{Model}}",status="resource_exhausted"}"""));
    }

    private static Task<string> ScrapeAsync(ServiceProcess service) => Http.GetStringAsync(new Uri(service.HttpAddress, "metrics"));

    /// <summary>The value of one series in a scrape; NaN when it is not there.</summary>
    private static double Sample(string metrics, string series)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return double.NaN;
    }
}
