using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using SlmCluster.Evaluation;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// The shadow comparison on a real cluster (<see cref="ShadowClusterFixture"/>): answered requests asked again of a
/// reference after the caller has its answer, scored, counted, and shed when the gateway is busy or at its cap.
/// </summary>
public sealed class ShadowComparisonTests(ShadowClusterFixture cluster) : IClassFixture<ShadowClusterFixture>, IDisposable
{
    private const string Prompt = "Once upon a time";
    private const int MaxTokens = 16;

    private readonly OpenAiHttpClient _http = new(cluster.Gateway.HttpAddress);

    public void Dispose() => _http.Dispose();

    private static CallOptions Deadline(int seconds = 30) => new(deadline: DateTime.UtcNow.AddSeconds(seconds));

    private static GenerateRequest Greedy(string model, string prompt = Prompt) => new()
    {
        Model = model,
        Prompt = prompt,
        MaxTokens = MaxTokens,
        Sampling = new SamplingParams { Temperature = 0 },
        Cache = new CachePolicy { Bypass = true },
    };

    // Prometheus' text format lists a series' labels in name order.
    private Task<double> Shadows(string route, string outcome) =>
        cluster.Gateway.MetricAsync("slm_shadow_requests_total", $"outcome=\"{outcome}\",route=\"{route}\"");

    [Fact]
    public async Task A_sampled_answer_is_scored_against_the_larger_models_answer_to_the_same_greedy_request()
    {
        var scored = await Shadows(ShadowClusterFixture.SmallModel, "scored");
        var sum = await AgreementSum(ShadowClusterFixture.SmallModel, "rouge_l");

        var answer = await cluster.Client.GenerateAsync(Greedy(ShadowClusterFixture.SmallModel), Deadline());
        await Eventually.HoldsAsync(async () => await Shadows(ShadowClusterFixture.SmallModel, "scored") == scored + 1);
        var reference = await cluster.Client.GenerateAsync(Greedy(ShadowClusterFixture.LargeModel), Deadline());

        // The pair the gateway scored is the caller's answer and the large model's greedy answer to the same prompt.
        Assert.NotEqual(answer.Text, reference.Text);
        var expected = TextAgreement.RougeL(answer.Text, reference.Text);
        Assert.Equal(expected, await AgreementSum(ShadowClusterFixture.SmallModel, "rouge_l") - sum, 9);
        var stats = (await _http.GetAsync("/api/stats")).Json.GetProperty("shadow").EnumerateArray()
            .Single(t => t.GetProperty("route").GetString() == ShadowClusterFixture.SmallModel);
        Assert.Equal(ShadowClusterFixture.LargeModel, stats.GetProperty("reference").GetString());
        Assert.Equal("model", stats.GetProperty("tiers")[0].GetProperty("tier").GetString());
    }

    [Fact]
    public async Task The_caller_has_its_whole_answer_while_the_reference_still_holds_the_shadow_and_a_second_is_shed_at_the_cap()
    {
        var (shed, scored, cost) = (await Shadows(ShadowClusterFixture.Route, "shed_cap"), await Shadows(ShadowClusterFixture.Route, "scored"),
            await cluster.Gateway.MetricAsync("slm_shadow_cost_usd_total", $"route=\"{ShadowClusterFixture.Route}\""));
        cluster.Reference.Forget();
        cluster.Reference.Hold();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var body = $$"""{"model":"{{ShadowClusterFixture.Route}}","prompt":"{{Prompt}}","max_tokens":{{MaxTokens}},"temperature":0}""";
            var first = await _http.PostAsync("/v1/completions", body, timeout.Token);

            // The caller has its answer; only now does the reference get the same request, and it is still held.
            Assert.Equal(System.Net.HttpStatusCode.OK, first.Status);
            var (authorization, sent) = await cluster.Reference.ReceiveAsync(TimeSpan.FromSeconds(20));
            Assert.Equal("Bearer " + ShadowClusterFixture.ReferenceKey, authorization);
            Assert.Equal(ShadowClusterFixture.FlagshipModel, sent.GetProperty("model").GetString());
            Assert.Equal(Prompt, sent.GetProperty("messages")[0].GetProperty("content").GetString());
            Assert.Equal(0, sent.GetProperty("temperature").GetDouble());
            Assert.Equal(MaxTokens, sent.GetProperty("max_tokens").GetInt32());

            // One shadow of the route at a time: the next answered request's shadow is shed, and its caller unaffected.
            var second = await _http.PostAsync("/v1/completions", body, timeout.Token);
            Assert.Equal(System.Net.HttpStatusCode.OK, second.Status);
            await Eventually.HoldsAsync(async () => await Shadows(ShadowClusterFixture.Route, "shed_cap") == shed + 1);
            Assert.Equal(scored, await Shadows(ShadowClusterFixture.Route, "scored"));
        }
        finally
        {
            cluster.Reference.Release();
        }

        await Eventually.HoldsAsync(async () => await Shadows(ShadowClusterFixture.Route, "scored") == scored + 1);
        // The price of knowing: the reference's usage at its prices, counted apart from serving.
        var price = (HeldReferenceEndpoint.PromptTokens * ShadowClusterFixture.InputPrice + HeldReferenceEndpoint.CompletionTokens * ShadowClusterFixture.OutputPrice) / 1e6;
        Assert.Equal(price, await cluster.Gateway.MetricAsync("slm_shadow_cost_usd_total", $"route=\"{ShadowClusterFixture.Route}\"") - cost, 12);
        // The cascade's small tier answered: the pair is kept under that tier and its model.
        Assert.True(await cluster.Gateway.MetricAsync("slm_shadow_agreement_count",
            $"metric=\"f1\",model=\"{ShadowClusterFixture.SmallModel}\",route=\"{ShadowClusterFixture.Route}\",tier=\"small\"") >= 1);
    }

    [Fact]
    public async Task A_shadow_is_shed_while_another_request_is_in_flight_at_a_worker()
    {
        var shed = await Shadows(ShadowClusterFixture.SmallModel, "shed_load");
        // A stopped large worker keeps the request sent to it in flight, deterministically, for as long as it is stopped.
        Signals.Send(cluster.Large.Pid, Signals.SigStop);
        Task<GenerateResponse> busy;
        try
        {
            busy = cluster.Client.GenerateAsync(Greedy(ShadowClusterFixture.LargeModel), Deadline(60)).ResponseAsync;
            await Eventually.HoldsAsync(async () => await cluster.Gateway.MetricAsync("slm_gateway_outstanding_requests") >= 1);

            var answer = await cluster.Client.GenerateAsync(Greedy(ShadowClusterFixture.SmallModel), Deadline());

            Assert.NotEmpty(answer.Text);
            await Eventually.HoldsAsync(async () => await Shadows(ShadowClusterFixture.SmallModel, "shed_load") == shed + 1);
        }
        finally
        {
            Signals.Send(cluster.Large.Pid, Signals.SigCont);
        }

        Assert.NotEmpty((await busy).Text);
    }

    [Fact]
    public async Task A_failing_reference_costs_the_caller_nothing_and_its_key_is_never_in_logs_metrics_or_the_dashboard()
    {
        var failed = await Shadows(ShadowClusterFixture.Route, "failed");
        cluster.Reference.FailNext();

        var answer = await _http.PostAsync("/v1/completions",
            $$"""{"model":"{{ShadowClusterFixture.Route}}","prompt":"{{Prompt}}","max_tokens":{{MaxTokens}},"temperature":0}""");

        Assert.Equal(System.Net.HttpStatusCode.OK, answer.Status);
        await Eventually.HoldsAsync(async () => await Shadows(ShadowClusterFixture.Route, "failed") == failed + 1);
        var seen = new Dictionary<string, string>
        {
            ["gateway log"] = cluster.Gateway.Output,
            ["/metrics"] = await _http.Http.GetStringAsync("/metrics"),
            ["/api/stats"] = await _http.Http.GetStringAsync("/api/stats"),
            ["answer"] = answer.Text,
        };
        // The reference's calls, their failure (which echoed the key) included, were logged: the key was blanked out.
        Assert.Contains("/v1/chat/completions", seen["gateway log"]);
        Assert.Contains("internal error for key ***", seen["gateway log"]);
        foreach (var (where, text) in seen)
        {
            Assert.False(text.Contains(ShadowClusterFixture.ReferenceKey, StringComparison.Ordinal), $"the reference's key appears in the {where}");
        }
    }

    private async Task<double> AgreementSum(string route, string metric) =>
        await cluster.Gateway.MetricAsync("slm_shadow_agreement_sum", $"metric=\"{metric}\",model=\"{route}\",route=\"{route}\",tier=\"model\"");
}
