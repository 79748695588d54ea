using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Prometheus;
using SlmCluster.Gateway.Api.Grpc;
using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Observability;
using SlmCluster.Gateway.Routing;
using SlmCluster.Gateway.Serving;
using SlmCluster.Protocol.V1;
using SlmCluster.ServiceDefaults.Metrics;

namespace SlmCluster.UnitTests.Gateway.Cascade;

/// <summary>
/// A request through a route's tiers, each tier's workers answering as scripted here with the chunks a worker sends
/// (text with its token logprobs, then the closing chunk): what the caller gets, what the served record says, and
/// what the metrics count. The real workers' side is the integration tests'.
/// </summary>
public sealed class CascadeRunnerTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().AddHttpClient().BuildServiceProvider();
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly PrometheusMeterBridge _bridge;
    private readonly Dictionary<string, Func<ServingRequest, IAsyncEnumerable<GenerateChunk>>> _workers = new(StringComparer.Ordinal);
    private readonly List<SlmCluster.Contracts.GenerationCall> _asked = [];

    public CascadeRunnerTests()
    {
        var meterFactory = _services.GetRequiredService<IMeterFactory>();
        _bridge = new PrometheusMeterBridge(_registry, meter => ReferenceEquals(meter.Scope, meterFactory));
    }

    public void Dispose()
    {
        _bridge.Dispose();
        _services.Dispose();
    }

    internal static CascadeRoutes Routes(params (string Name, CascadeRouteOptions Route)[] routes) =>
        new(Options.Create(new CascadeOptions { Routes = routes.ToDictionary(r => r.Name, r => r.Route, StringComparer.Ordinal) }),
            new WorkerPool(), NullLogger<CascadeRoutes>.Instance);

    private static CascadeRouteOptions Route(LastTierFailure onFailure, params CascadeTierOptions[] tiers) => new() { Tiers = [.. tiers], OnLastTierFailure = onFailure };

    private (CascadeRunner Runner, CascadeRoute Route) Build(CascadeRouteOptions options)
    {
        var routes = Routes(("auto", options));
        var stats = new CascadeStats(routes);
        var runner = new CascadeRunner(new ExternalTierClient(_services.GetRequiredService<IHttpClientFactory>()),
            new CascadeMetrics(_services.GetRequiredService<IMeterFactory>(), routes, stats), stats, NullLogger<CascadeRunner>.Instance);
        return (runner, routes.Find("auto")!);
    }

    /// <summary>A worker of <paramref name="model"/> that answers <paramref name="pieces"/> (text, logprob) and closes with its usage and cost.</summary>
    private void Serve(string model, double costUsd, params (string Text, float Logprob)[] pieces) =>
        _workers[model] = _ => Answer(model, costUsd, pieces);

    private static async IAsyncEnumerable<GenerateChunk> Answer(string model, double costUsd, (string Text, float Logprob)[] pieces)
    {
        await Task.Yield();
        foreach (var (text, logprob) in pieces)
        {
            yield return new GenerateChunk { Text = text, Logprobs = { new TokenLogprob { Token = text, Logprob = logprob } } };
        }

        yield return new GenerateChunk
        {
            FinishReason = FinishReason.Stop,
            Usage = new Usage { PromptTokens = 5, CompletionTokens = pieces.Length },
            Served = new Served { WorkerId = "worker-" + model, Model = model, CostUsd = costUsd, TotalMs = 1 },
        };
    }

    private static async IAsyncEnumerable<GenerateChunk> Fails(StatusCode code)
    {
        await Task.Yield();
        throw new RpcException(new Status(code, "no worker can serve it right now"));
#pragma warning disable CS0162 // an iterator needs a yield to be one
        yield break;
#pragma warning restore CS0162
    }

    private IAsyncEnumerable<GenerateChunk> FromWorkers(ServingRequest request, CancellationToken cancellationToken)
    {
        _asked.Add(request.Call);
        return _workers[request.Model](request);
    }

    private async Task<List<GenerateChunk>> RunAsync(CascadeRouteOptions options, GenerateRequest? request = null)
    {
        var (runner, route) = Build(options);
        var chunks = new List<GenerateChunk>();
        await foreach (var chunk in runner.RunAsync(route, GrpcRequestMapper.ToServingRequest(request ?? new GenerateRequest { Model = "auto", Prompt = "Once upon a time" }),
            new CascadeRunner.TierWorkers(FromWorkers, static (_, _) => Task.FromException<int>(new InvalidOperationException("no tier here counts prompt tokens"))), null, CancellationToken.None))
        {
            chunks.Add(chunk);
        }

        return chunks;
    }

    private async Task<string[]> MetricLinesAsync()
    {
        using var text = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(text);
        return System.Text.Encoding.UTF8.GetString(text.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static CascadeTierOptions Small(double minMean) => new() { Name = "small", Model = "stories", Accept = new() { MinMeanLogprob = minMean } };

    private static readonly CascadeTierOptions Large = new() { Name = "large", Model = "tinystories" };

    [Fact]
    public void A_judged_tier_is_asked_for_logprobs_the_last_tier_only_if_the_caller_asked()
    {
        var caller = GrpcRequestMapper.ToServingRequest(new GenerateRequest { Model = "auto", Prompt = "p", TopLogprobs = 0 });
        var routes = Routes(("auto", Route(LastTierFailure.Error, Small(-1), Large)));
        var route = routes.Find("auto")!;

        var judged = CascadeRunner.TierRequest(caller, route.Tiers[0], judged: true);
        var last = CascadeRunner.TierRequest(caller, route.Tiers[1], judged: false);

        Assert.Equal(("stories", true, 0), (judged.Model, judged.Call.Logprobs, judged.Call.TopLogprobs));
        Assert.Equal(("tinystories", false), (last.Model, last.Call.Logprobs));
    }

    [Fact]
    public async Task A_confident_first_tier_answers_its_logprobs_stripped_and_the_record_says_why()
    {
        Serve("stories", 0.001, ("Once", -0.1f), (" upon", -0.2f));
        Serve("tinystories", 0.004, ("Never", -0.1f));

        var chunks = await RunAsync(Route(LastTierFailure.Error, Small(-1.5), Large));

        Assert.Equal("Once upon", string.Concat(chunks.Select(c => c.Text)));
        Assert.All(chunks, c => Assert.Empty(c.Logprobs));
        Assert.Equal(["stories"], _asked.Select(r => r.Model));
        Assert.True(_asked[0].Logprobs);
        var served = chunks[^1].Served;
        Assert.Equal(("worker-stories", "stories", 0.001), (served.WorkerId, served.Model, served.CostUsd));
        var cascade = served.Cascade;
        Assert.Equal(("auto", 1, "small", "stories", false), (cascade.Route, cascade.Tier, cascade.TierName, cascade.Model, cascade.Escalated));
        // Mean (-0.1 - 0.2) / 2 = -0.15; min -0.2.
        Assert.Equal("accepted: mean logprob -0.15 ≥ -1.50", cascade.Reason);
        Assert.Equal(-0.15, cascade.MeanLogprob, precision: 6);
        Assert.Equal(-0.2, cascade.MinLogprob, precision: 6);
        // The self-hosted last tier never ran on this gateway: its estimate is the answering tier's own cost.
        Assert.Equal(0.001, cascade.LastTierCostUsd);
        var attempt = Assert.Single(cascade.Attempts);
        Assert.Equal((1, "small", "stories", TierOutcome.Accepted, 0.001, 5, 2), (attempt.Tier, attempt.TierName, attempt.Model, attempt.Outcome, attempt.CostUsd, attempt.PromptTokens, attempt.CompletionTokens));
    }

    [Fact]
    public async Task A_caller_that_asked_for_logprobs_gets_them_from_the_answering_tier()
    {
        Serve("stories", 0.001, ("Once", -0.1f), (" upon", -0.2f));

        var chunks = await RunAsync(Route(LastTierFailure.Error, Small(-1.5), Large),
            new GenerateRequest { Model = "auto", Prompt = "p", Logprobs = true, TopLogprobs = 3 });

        Assert.Equal([-0.1f, -0.2f], chunks.SelectMany(c => c.Logprobs).Select(l => l.Logprob));
        Assert.Equal(3, _asked[0].TopLogprobs);
    }

    [Fact]
    public async Task An_unsure_tier_is_never_seen_by_the_caller_the_last_tier_answers_and_the_request_costs_both()
    {
        Serve("stories", 0.001, ("Once", -3f));
        Serve("tinystories", 0.004, ("The", -0.5f), (" end", -0.5f));

        var chunks = await RunAsync(Route(LastTierFailure.Error, Small(-1.5), Large));

        Assert.Equal("The end", string.Concat(chunks.Select(c => c.Text)));
        Assert.All(chunks, c => Assert.Empty(c.Logprobs));
        Assert.Equal([("stories", true), ("tinystories", false)], _asked.Select(r => (r.Model, r.Logprobs)));
        var served = chunks[^1].Served;
        // $0.001 for the small tier's try + $0.004 for the large tier's answer.
        Assert.Equal(("worker-tinystories", "tinystories"), (served.WorkerId, served.Model));
        Assert.Equal(0.005, served.CostUsd, precision: 12);
        var cascade = served.Cascade;
        Assert.Equal((2, "large", true), (cascade.Tier, cascade.TierName, cascade.Escalated));
        Assert.Equal("escalated: mean logprob -3.00 < -1.50 (tier 1 'small')", cascade.Reason);
        // The last tier is not judged: no confidence figures.
        Assert.Equal((0.0, 0.0), (cascade.MeanLogprob, cascade.MinLogprob));
        Assert.Equal(0.004, cascade.LastTierCostUsd);
        Assert.Equal([TierOutcome.Escalated, TierOutcome.Accepted], cascade.Attempts.Select(a => a.Outcome));
        Assert.Equal(-3, cascade.Attempts[0].MeanLogprob);

        var lines = await MetricLinesAsync();
        Assert.Contains("""slm_cascade_requests_total{outcome="escalated",route="auto",tier="small"} 1""", lines);
        Assert.Contains("""slm_cascade_requests_total{outcome="accepted",route="auto",tier="large"} 1""", lines);
        Assert.Contains("""slm_cascade_requests_total{outcome="skipped",route="auto",tier="small"} 0""", lines);
        Assert.Contains("""slm_cascade_cost_usd_total{route="auto"} 0.005""", lines);
        Assert.Contains("""slm_cascade_last_tier_cost_usd_total{route="auto"} 0.004""", lines);
    }

    [Fact]
    public async Task A_tier_that_fails_hands_the_request_on()
    {
        _workers["stories"] = _ => Fails(StatusCode.Unavailable);
        Serve("tinystories", 0.004, ("The end", -0.5f));

        var chunks = await RunAsync(Route(LastTierFailure.Error, Small(-1.5), Large));

        var cascade = chunks[^1].Served.Cascade;
        Assert.Equal(2, cascade.Tier);
        Assert.Equal("tier 1 'small' failed (Unavailable)", cascade.Reason);
        Assert.Equal([TierOutcome.Error, TierOutcome.Accepted], cascade.Attempts.Select(a => a.Outcome));
    }

    [Fact]
    public async Task When_the_last_tier_fails_the_caller_gets_its_failure_naming_route_and_tier()
    {
        Serve("stories", 0.001, ("Once", -3f));
        _workers["tinystories"] = _ => Fails(StatusCode.Unavailable);

        var error = await Assert.ThrowsAsync<RpcException>(() => RunAsync(Route(LastTierFailure.Error, Small(-1.5), Large)));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.StartsWith("Cascade route 'auto', tier 2 'large' (model 'tinystories'): no worker can serve it right now", error.Status.Detail);
        Assert.Contains("""slm_cascade_requests_total{outcome="error",route="auto",tier="large"} 1""", await MetricLinesAsync());
    }

    [Fact]
    public async Task With_BestLowerTier_a_failed_last_tier_is_answered_by_the_most_confident_lower_tier()
    {
        Serve("a", 0.001, ("unsure", -3f));
        Serve("b", 0.002, ("less unsure", -2f));
        _workers["c"] = _ => Fails(StatusCode.DeadlineExceeded);

        var chunks = await RunAsync(Route(LastTierFailure.BestLowerTier,
            new() { Model = "a", Accept = new() { MinMeanLogprob = -1 } },
            new() { Model = "b", Accept = new() { MinMeanLogprob = -1 } },
            new() { Model = "c" }));

        Assert.Equal("less unsure", string.Concat(chunks.Select(c => c.Text)));
        var served = chunks[^1].Served;
        Assert.Equal(("worker-b", "b"), (served.WorkerId, served.Model));
        // Both lower tiers ran: $0.001 + $0.002.
        Assert.Equal(0.003, served.CostUsd, precision: 12);
        var cascade = served.Cascade;
        Assert.Equal((2, true, -2.0), (cascade.Tier, cascade.Escalated, cascade.MeanLogprob));
        Assert.Equal("fallback: tier 3 'c' failed (DeadlineExceeded); answered with the most confident lower tier, tier 2 'b' (mean logprob -2.00)", cascade.Reason);
        Assert.Equal([TierOutcome.Escalated, TierOutcome.Escalated, TierOutcome.Error], cascade.Attempts.Select(a => a.Outcome));
    }

    [Fact]
    public void The_most_confident_answer_is_by_mean_then_lowest_logprob_and_answers_without_logprobs_come_last()
    {
        var tiers = new CascadeRoute("r", Route(LastTierFailure.Error, Small(0), new() { Name = "m", Model = "m", Accept = new() }, Large)).Tiers;
        HeldAnswer Held(int tier, string text, CompletionConfidence confidence) =>
            new(tiers[tier], [], new GenerateChunk(), text, confidence);

        var best = CascadeRunner.MostConfident([
            Held(0, "a", new CompletionConfidence(3, -1.0, -4.0)),
            Held(1, "b", new CompletionConfidence(3, -1.0, -2.0)),
            Held(1, "no logprobs", CompletionConfidence.None),
            Held(0, "", new CompletionConfidence(3, -0.1, -0.1)),
        ]);

        Assert.Equal("b", best!.Text);
        Assert.Null(CascadeRunner.MostConfident([Held(0, "", CompletionConfidence.None)]));
    }
}
