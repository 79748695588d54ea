using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Playwright;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using Xunit.Abstractions;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// Cascade routes on a real cluster (<see cref="CascadeClusterFixture"/>): a model id that stands for tiers tried in
/// order, the small model first, judged by its own token logprobs, then the large one or an external OpenAI-compatible
/// endpoint, over gRPC and the OpenAI API.
/// </summary>
public sealed partial class CascadeRouteTests(CascadeClusterFixture cluster, ITestOutputHelper output) : IClassFixture<CascadeClusterFixture>, IDisposable
{
    private readonly ITestOutputHelper _output = output;

    private const string Prompt = "Once upon a time";
    private const int MaxTokens = 16;

    private readonly OpenAiHttpClient _http = new(cluster.Gateway.HttpAddress);

    public void Dispose() => _http.Dispose();

    private static CallOptions Deadline(int seconds = 30) => new(deadline: DateTime.UtcNow.AddSeconds(seconds));

    /// <summary>A greedy request that skips the response cache (the cache test asks for it explicitly).</summary>
    private static GenerateRequest Request(string model, string prompt = Prompt, bool cached = false) => new()
    {
        Model = model,
        Prompt = prompt,
        MaxTokens = MaxTokens,
        Sampling = new SamplingParams { Temperature = 0 },
        Cache = new CachePolicy { Bypass = !cached },
    };

    private Task<GenerateResponse> GenerateAsync(GenerateRequest request) => cluster.Client.GenerateAsync(request, Deadline()).ResponseAsync;

    private async Task<List<GenerateChunk>> StreamAsync(GenerateRequest request)
    {
        using var call = cluster.Client.GenerateStream(request, Deadline());
        var chunks = new List<GenerateChunk>();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            chunks.Add(chunk);
        }

        return chunks;
    }

    /// <summary>What the external tier charges for a usage, at the fixture's prices (USD per million tokens).</summary>
    private static double ExternalCost(int promptTokens, int completionTokens) =>
        (promptTokens * CascadeClusterFixture.InputPrice + completionTokens * CascadeClusterFixture.OutputPrice) / 1_000_000;

    [Fact]
    public async Task Routes_are_listed_as_models_beside_their_tiers_models_over_gRPC_and_HTTP()
    {
        var models = (await cluster.Client.ListModelsAsync(new ListModelsRequest(), Deadline())).Models.Select(m => m.Id).ToList();
        var http = await _http.GetAsync("/v1/models");

        string[] expected = ["anyok", "confident", "escalate", "long", "external", "badkey", "hang", "hang-fallback", "tools",
            CascadeClusterFixture.SmallModel, CascadeClusterFixture.LargeModel];
        Assert.Equal(expected.Order(), models.Order());
        Assert.Equal(expected.Order(), http.Json.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).Order());
        var escalate = (await cluster.Client.ListModelsAsync(new ListModelsRequest(), Deadline())).Models.Single(m => m.Id == "escalate");
        Assert.Equal(("cascade: small -> large", "cascade", 1), (escalate.Name, escalate.Architecture, escalate.Replicas));
    }

    [Fact]
    public async Task An_unsure_first_tier_escalates_and_the_caller_streams_only_the_last_tiers_answer()
    {
        var chunks = await StreamAsync(Request("escalate"));
        var direct = await GenerateAsync(Request(CascadeClusterFixture.LargeModel));
        var small = await GenerateAsync(Request(CascadeClusterFixture.SmallModel));

        Assert.Equal(direct.Text, string.Concat(chunks.Select(c => c.Text)));
        Assert.NotEqual(small.Text, direct.Text);
        Assert.All(chunks, c => Assert.Empty(c.Logprobs));
        var served = chunks[^1].Served;
        Assert.Equal(("large-worker", CascadeClusterFixture.LargeModel, false), (served.WorkerId, served.Model, served.CacheHit));
        var cascade = served.Cascade;
        Assert.Equal(("escalate", 2, "large", CascadeClusterFixture.LargeModel, true), (cascade.Route, cascade.Tier, cascade.TierName, cascade.Model, cascade.Escalated));
        Assert.StartsWith("escalated: ", cascade.Reason);
        Assert.EndsWith("(tier 1 'small')", cascade.Reason);
        Assert.Equal([(1, "small", CascadeClusterFixture.SmallModel, "escalated"), (2, "large", CascadeClusterFixture.LargeModel, "accepted")],
            cascade.Attempts.Select(a => (a.Tier, a.TierName, a.Model, a.Outcome)));
        Assert.Equal(chunks[^1].Usage.CompletionTokens, cascade.Attempts[1].CompletionTokens);
        // The request cost both tiers' worker time; on the last tier alone it would have cost that tier's.
        Assert.All(cascade.Attempts, a => Assert.True(a.CostUsd > 0, $"tier {a.Tier} cost nothing"));
        Assert.Equal(cascade.Attempts.Sum(a => a.CostUsd), served.CostUsd, precision: 12);
        Assert.Equal(cascade.Attempts[1].CostUsd, cascade.LastTierCostUsd);
    }

    [Fact]
    public async Task A_confident_first_tier_answers_with_its_confidence_and_logprobs_reach_only_a_caller_that_asked()
    {
        // Needs the workers to report token logprobs (the engine side of issue 19).
        var answer = await GenerateAsync(Request("confident"));
        var direct = await GenerateAsync(Request(CascadeClusterFixture.SmallModel));

        var cascade = answer.Served.Cascade;
        Assert.StartsWith("accepted: mean logprob ", cascade.Reason);
        Assert.Equal((1, "small", false), (cascade.Tier, cascade.TierName, cascade.Escalated));
        Assert.Equal(direct.Text, answer.Text);
        Assert.Empty(answer.Logprobs);
        Assert.InRange(cascade.MeanLogprob, -1000, -1e-9);
        Assert.InRange(cascade.MinLogprob, -1000, cascade.MeanLogprob);
        Assert.Equal(cascade.MeanLogprob, cascade.Attempts[0].MeanLogprob);

        var withLogprobs = Request("confident");
        withLogprobs.Logprobs = true;
        var asked = await GenerateAsync(withLogprobs);
        Assert.Equal(answer.Text, asked.Text);
        Assert.Equal(asked.Usage.CompletionTokens, asked.Logprobs.Count);
        Assert.Equal(cascade.MeanLogprob, asked.Logprobs.Average(l => (double)l.Logprob), precision: 4);
    }

    [Fact]
    public async Task A_route_named_as_an_Ollama_client_names_it_answers_through_the_Ollama_API_as_over_gRPC()
    {
        var grpc = await GenerateAsync(Request("confident"));
        var ollama = await _http.PostAsync("/api/generate",
            $$$"""{"model": "confident:latest", "prompt": "{{{Prompt}}}", "raw": true, "stream": false, "options": {"temperature": 0, "num_predict": {{{MaxTokens}}}}}""");

        Assert.Equal(HttpStatusCode.OK, ollama.Status);
        Assert.Equal(grpc.Text, ollama.Json.GetProperty("response").GetString());
        Assert.Equal(MaxTokens, ollama.Json.GetProperty("eval_count").GetInt32());
        Assert.Contains(JsonDocument.Parse((await _http.GetAsync("/api/tags")).Text).RootElement.GetProperty("models").EnumerateArray(),
            m => m.GetProperty("name").GetString() == "confident:latest");
    }

    [Fact]
    public async Task A_prompt_longer_than_a_tiers_limit_skips_it_counted_in_that_tiers_tokens()
    {
        var longPrompt = string.Join(' ', Enumerable.Repeat("Once upon a time there was a little girl named Lily who loved to play outside.", 4));
        var shortCount = (await GenerateAsync(Request(CascadeClusterFixture.SmallModel))).Usage.PromptTokens;
        var longCount = (await GenerateAsync(Request(CascadeClusterFixture.SmallModel, longPrompt))).Usage.PromptTokens;
        Assert.True(shortCount <= CascadeClusterFixture.LongPromptTokens && longCount > CascadeClusterFixture.LongPromptTokens,
            $"the prompts are {shortCount} and {longCount} tokens; the test needs one at most {CascadeClusterFixture.LongPromptTokens} and one over");

        var shortAnswer = (await GenerateAsync(Request("long"))).Served.Cascade;
        var longAnswer = await GenerateAsync(Request("long", longPrompt));

        Assert.Equal((1, "accepted: the tier's rule has no thresholds"), (shortAnswer.Tier, shortAnswer.Reason));
        var cascade = longAnswer.Served.Cascade;
        Assert.Equal((2, true), (cascade.Tier, cascade.Escalated));
        Assert.Equal($"prompt is {longCount} tokens > {CascadeClusterFixture.LongPromptTokens}, tier 1 'small' skipped", cascade.Reason);
        var skipped = cascade.Attempts[0];
        Assert.Equal(("skipped", longCount, 0, 0.0), (skipped.Outcome, skipped.PromptTokens, skipped.CompletionTokens, skipped.CostUsd));
        Assert.Equal((await GenerateAsync(Request(CascadeClusterFixture.LargeModel, longPrompt))).Text, longAnswer.Text);
    }

    [Fact]
    public async Task An_external_last_tier_answers_over_its_OpenAI_API_streamed_and_whole_priced_from_its_usage()
    {
        // The external tier gets the prompt as one user message.
        var direct = new GenerateRequest { Model = CascadeClusterFixture.LargeModel, MaxTokens = MaxTokens, Sampling = new SamplingParams { Temperature = 0 } };
        direct.Messages.Add(new ChatMessage { Role = "user", Content = Prompt });
        var expected = (await GenerateAsync(direct)).Text;

        var whole = await GenerateAsync(Request("external"));
        var chunks = await StreamAsync(Request("external"));

        Assert.Equal(expected, whole.Text);
        Assert.Equal(expected, string.Concat(chunks.Select(c => c.Text)));
        Assert.True(chunks.Count > 2, "the external tier's answer was not streamed through");
        foreach (var served in new[] { whole.Served, chunks[^1].Served })
        {
            Assert.StartsWith($"external:127.0.0.1:{cluster.Provider.HttpAddress.Port}", served.WorkerId);
            Assert.Equal(CascadeClusterFixture.LargeModel, served.Model);
            var cascade = served.Cascade;
            Assert.Equal((2, "flagship", true), (cascade.Tier, cascade.TierName, cascade.Escalated));
            var external = cascade.Attempts[1];
            Assert.Equal("accepted", external.Outcome);
            Assert.True(external.PromptTokens > 0 && external.CompletionTokens == MaxTokens, $"usage {external.PromptTokens}/{external.CompletionTokens}");
            // Its price times the tokens its usage reported, e.g. 10 in and 16 out: (10 × 2.5 + 16 × 10) / 1e6 = $0.000185.
            Assert.Equal(ExternalCost(external.PromptTokens, external.CompletionTokens), external.CostUsd, precision: 15);
            Assert.Equal(cascade.Attempts[0].CostUsd + external.CostUsd, served.CostUsd, precision: 15);
            Assert.Equal(external.CostUsd, cascade.LastTierCostUsd, precision: 15);
        }
    }

    [Fact]
    public async Task An_answer_from_the_small_tier_is_priced_against_the_external_tier_it_saved()
    {
        var answer = await GenerateAsync(Request("anyok", "Once upon a time, a dog"));

        var cascade = answer.Served.Cascade;
        Assert.Equal((1, "small", false, "accepted"), (cascade.Tier, cascade.TierName, cascade.Escalated, cascade.Attempts.Single().Outcome));
        Assert.Equal("small-worker", answer.Served.WorkerId);
        // The external tier did not run: its prices times the small tier's tokens.
        Assert.Equal(ExternalCost(answer.Usage.PromptTokens, answer.Usage.CompletionTokens), cascade.LastTierCostUsd, precision: 15);
        Assert.Equal(cascade.Attempts[0].CostUsd, answer.Served.CostUsd);
    }

    [Fact]
    public async Task An_external_tier_that_never_answers_fails_within_its_timeout_saying_which_tier_and_why()
    {
        var accepted = cluster.Stuck.Accepted;
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RpcException>(() => GenerateAsync(Request("hang")));
        var took = watch.Elapsed;

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.StartsWith("Cascade route 'hang', tier 2 'flagship' (external model", error.Status.Detail);
        Assert.Contains("did not answer within its timeout of 2 s", error.Status.Detail);
        Assert.InRange(took, CascadeClusterFixture.HangTimeout, CascadeClusterFixture.HangTimeout + TimeSpan.FromSeconds(5));
        Assert.True(cluster.Stuck.Accepted > accepted, "the request never reached the stuck endpoint");

        var http = await _http.PostAsync("/v1/chat/completions",
            """{"model":"hang","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":16,"temperature":0}""");
        Assert.Equal(HttpStatusCode.GatewayTimeout, http.Status);
        Assert.Equal("timeout_error", http.Error.GetProperty("type").GetString());
        Assert.Contains("tier 2 'flagship'", http.Error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task With_BestLowerTier_a_timed_out_external_tier_is_answered_by_the_lower_tier_and_that_answer_is_not_cached()
    {
        var answer = await GenerateAsync(Request("hang-fallback", cached: true));
        var small = await GenerateAsync(Request(CascadeClusterFixture.SmallModel));

        Assert.Equal(small.Text, answer.Text);
        Assert.Equal(("small-worker", CascadeClusterFixture.SmallModel), (answer.Served.WorkerId, answer.Served.Model));
        var cascade = answer.Served.Cascade;
        Assert.Equal((1, true), (cascade.Tier, cascade.Escalated));
        Assert.StartsWith("fallback: tier 2 'flagship' failed (DeadlineExceeded); answered with the most confident lower tier, tier 1 'small'", cascade.Reason);
        Assert.Equal(["escalated", "error"], cascade.Attempts.Select(a => a.Outcome));

        // The next identical request tries the external tier again instead of replaying the stand-in.
        var again = await GenerateAsync(Request("hang-fallback", cached: true));
        Assert.False(again.Served.CacheHit);
        Assert.StartsWith("fallback: ", again.Served.Cascade.Reason);
    }

    [Fact]
    public async Task The_OpenAI_API_carries_slm_cascade_in_whole_answers_and_in_the_last_stream_chunks()
    {
        const string Body = """{"model":"escalate","messages":[{"role":"user","content":"A cat sat"}],"max_tokens":16,"temperature":0""";

        var whole = await _http.PostAsync("/v1/chat/completions", Body + "}");
        var (_, events) = await _http.StreamAsync("/v1/chat/completions", Body + ""","stream":true,"stream_options":{"include_usage":true}}""");
        var text = await _http.PostAsync("/v1/completions", """{"model":"escalate","prompt":"A cat sat","max_tokens":16,"temperature":0}""");

        Assert.Equal(HttpStatusCode.OK, whole.Status);
        Assert.Equal("escalate", whole.Json.GetProperty("model").GetString());
        var cascade = whole.Json.GetProperty("slm_cascade");
        Assert.Equal(("escalate", 2, "large", CascadeClusterFixture.LargeModel, true),
            (cascade.GetProperty("route").GetString(), cascade.GetProperty("tier").GetInt32(), cascade.GetProperty("tier_name").GetString(),
                cascade.GetProperty("model").GetString(), cascade.GetProperty("escalated").GetBoolean()));
        Assert.StartsWith("escalated: ", cascade.GetProperty("reason").GetString());
        Assert.True(cascade.GetProperty("last_tier_cost_usd").GetDouble() > 0);
        var attempts = cascade.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(["escalated", "accepted"], attempts.Select(a => a.GetProperty("outcome").GetString()));
        Assert.Equal(whole.Json.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), attempts[1].GetProperty("completion_tokens").GetInt32());
        foreach (var field in new[] { "tier", "tier_name", "model", "mean_logprob", "min_logprob", "cost_usd", "prompt_tokens", "total_ms" })
        {
            Assert.True(attempts[0].TryGetProperty(field, out _), $"attempts[0].{field} is missing");
        }

        // The cost object's self-hosted cost is the whole cascade's.
        Assert.Equal(attempts.Sum(a => a.GetProperty("cost_usd").GetDouble()), whole.Json.GetProperty("slm_cost").GetProperty("cost_usd").GetDouble(), precision: 12);

        var data = events.Where(e => e.Data != "[DONE]").Select(e => e.Json).ToList();
        var finishing = data.Single(e => e.GetProperty("choices").EnumerateArray().Any(c => c.GetProperty("finish_reason").ValueKind == JsonValueKind.String));
        Assert.Equal(2, finishing.GetProperty("slm_cascade").GetProperty("tier").GetInt32());
        Assert.Equal(2, data[^1].GetProperty("slm_cascade").GetProperty("tier").GetInt32());
        Assert.All(data.Where(e => e.GetProperty("choices").EnumerateArray().Any(c => c.GetProperty("finish_reason").ValueKind == JsonValueKind.Null)),
            e => Assert.False(e.TryGetProperty("slm_cascade", out _)));
        Assert.Equal(whole.Json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(),
            string.Concat(data.SelectMany(e => e.GetProperty("choices").EnumerateArray()).Select(c => c.GetProperty("delta").TryGetProperty("content", out var piece) ? piece.GetString() : "")));

        Assert.Equal("large", text.Json.GetProperty("slm_cascade").GetProperty("tier_name").GetString());
    }

    [Fact]
    public async Task Cached_answers_are_kept_apart_for_a_route_and_its_tier_model_and_replay_the_cascade_record()
    {
        var prompt = $"Once upon a time there was a cache test {Guid.NewGuid():N}";

        var first = await GenerateAsync(Request("anyok", prompt, cached: true));
        var model = await GenerateAsync(Request(CascadeClusterFixture.SmallModel, prompt, cached: true));
        var again = await GenerateAsync(Request("anyok", prompt, cached: true));
        var modelAgain = await GenerateAsync(Request(CascadeClusterFixture.SmallModel, prompt, cached: true));

        // The route's answer came from the small tier, yet a request for the small model itself did not find it.
        Assert.Equal((false, 1), (first.Served.CacheHit, first.Served.Cascade.Tier));
        Assert.False(model.Served.CacheHit);
        Assert.Null(model.Served.Cascade);
        Assert.Equal(first.Text, model.Text);

        Assert.True(again.Served.CacheHit);
        Assert.Equal(("cache", CascadeClusterFixture.SmallModel, 0.0), (again.Served.WorkerId, again.Served.Model, again.Served.CostUsd));
        Assert.Equal(first.Served.Cascade, again.Served.Cascade);
        Assert.Equal(first.Text, again.Text);

        Assert.True(modelAgain.Served.CacheHit);
        Assert.Null(modelAgain.Served.Cascade);
    }

    [Fact]
    public async Task The_metrics_and_the_dashboard_count_each_tiers_outcomes_and_the_routes_costs()
    {
        const string Escalated = "outcome=\"escalated\",route=\"escalate\",tier=\"small\"";
        const string Accepted = "outcome=\"accepted\",route=\"escalate\",tier=\"large\"";
        var before = (await cluster.Gateway.MetricAsync("slm_cascade_requests_total", Escalated), await cluster.Gateway.MetricAsync("slm_cascade_requests_total", Accepted));
        var costBefore = await cluster.Gateway.MetricAsync("slm_cascade_cost_usd_total", "route=\"escalate\"");

        var answer = await GenerateAsync(Request("escalate", "A dog ran"));

        Assert.Equal(before.Item1 + 1, await cluster.Gateway.MetricAsync("slm_cascade_requests_total", Escalated));
        Assert.Equal(before.Item2 + 1, await cluster.Gateway.MetricAsync("slm_cascade_requests_total", Accepted));
        Assert.Equal(costBefore + answer.Served.CostUsd, await cluster.Gateway.MetricAsync("slm_cascade_cost_usd_total", "route=\"escalate\""), precision: 12);
        Assert.True(await cluster.Gateway.MetricAsync("slm_cascade_last_tier_cost_usd_total", "route=\"escalate\"") > 0);

        using var stats = JsonDocument.Parse(await _http.Http.GetStringAsync("/api/stats"));
        var route = stats.RootElement.GetProperty("cascade").EnumerateArray().Single(r => r.GetProperty("route").GetString() == "escalate");
        Assert.True(route.GetProperty("requests").GetInt64() >= 1);
        Assert.Equal(route.GetProperty("requests").GetInt64(), route.GetProperty("escalated").GetInt64());
        Assert.Equal(1.0, route.GetProperty("escalation_rate").GetDouble());
        Assert.Equal(route.GetProperty("last_tier_cost_usd").GetDouble() - route.GetProperty("cost_usd").GetDouble(), route.GetProperty("saved_usd").GetDouble(), precision: 12);
        var tiers = route.GetProperty("tiers").EnumerateArray().ToList();
        Assert.Equal([(1, "small"), (2, "large")], tiers.Select(t => (t.GetProperty("tier").GetInt32(), t.GetProperty("name").GetString())));
        Assert.True(tiers[0].GetProperty("escalated").GetInt64() >= 1 && tiers[1].GetProperty("accepted").GetInt64() >= 1);
        Assert.Equal(0, tiers[0].GetProperty("accepted").GetInt64());
    }

    [Fact]
    public async Task No_provider_key_appears_in_logs_metrics_errors_or_the_served_record()
    {
        var answer = await GenerateAsync(Request("external", "A bird sang"));
        var refused = await Assert.ThrowsAsync<RpcException>(() => GenerateAsync(Request("badkey")));
        var refusedHttp = await _http.PostAsync("/v1/chat/completions", """{"model":"badkey","messages":[{"role":"user","content":"Hi"}],"max_tokens":4}""");
        var timedOut = await Assert.ThrowsAsync<RpcException>(() => GenerateAsync(Request("hang")));
        var whole = await _http.PostAsync("/v1/chat/completions", """{"model":"external","messages":[{"role":"user","content":"A fox"}],"max_tokens":8,"temperature":0}""");

        // The wrong key really was sent, and refused by the provider: the error says so, without the key.
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.StartsWith("Cascade route 'badkey', tier 2 'flagship'", refused.Status.Detail);
        Assert.Contains("HTTP 401", refused.Status.Detail);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refusedHttp.Status);

        var seen = new Dictionary<string, string>
        {
            ["gateway log"] = cluster.Gateway.Output,
            ["/metrics"] = await _http.Http.GetStringAsync("/metrics"),
            ["/api/stats"] = await _http.Http.GetStringAsync("/api/stats"),
            ["served record"] = answer.Served.ToString(),
            ["gRPC error (401)"] = refused.Status.Detail + refused.Trailers,
            ["HTTP error (401)"] = refusedHttp.Text,
            ["gRPC error (timeout)"] = timedOut.Status.Detail + timedOut.Trailers,
            ["OpenAI answer"] = whole.Text,
        };
        Assert.Contains("/v1/chat/completions", seen["gateway log"]);
        foreach (var (where, text) in seen)
        {
            Assert.False(text.Contains(CascadeClusterFixture.ProviderKey, StringComparison.Ordinal), $"the provider key appears in the {where}");
            Assert.False(text.Contains(CascadeClusterFixture.WrongKey, StringComparison.Ordinal), $"the wrong key appears in the {where}");
        }
    }

    [Fact]
    public async Task The_dashboard_shows_each_routes_escalation_rate_and_the_money_saved()
    {
        // One request the small tier answers, one it hands to the large tier.
        foreach (var route in new[] { "confident", "escalate" })
        {
            await cluster.Client.GenerateAsync(
                new GenerateRequest { Model = route, Prompt = "Once upon a time", MaxTokens = 8, Cache = new CachePolicy { Bypass = true } },
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        await page.GotoAsync(cluster.Gateway.HttpAddress.ToString());

        var rows = page.Locator("#routes tbody tr.route");
        await page.WaitForFunctionAsync("document.querySelectorAll('#routes tbody tr.route').length > 1");
        Assert.True(await page.Locator("#cascade").IsVisibleAsync());
        var table = new Dictionary<string, IReadOnlyList<string>>();
        for (var i = 0; i < await rows.CountAsync(); i++)
        {
            var cells = await rows.Nth(i).Locator("td").AllInnerTextsAsync();
            table[cells[0]] = cells;
        }

        // Route, requests, escalation rate, served by tier, cost, last tier only, saved.
        Assert.Equal("100.0 %", table["escalate"][2]);
        Assert.Equal("0.0 %", table["confident"][2]);
        Assert.StartsWith("$", table["escalate"][6], StringComparison.Ordinal);
        Assert.Contains(":", table["confident"][3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tier_answer_cut_before_its_schema_is_complete_escalates_and_slm_cascade_says_why()
    {
        // A string: the large tier's vocabulary has a quote but no '{', so it can answer this schema and no object.
        var response = await _http.PostAsync("/v1/completions",
            """{"model":"confident","prompt":"Once upon a time","max_tokens":6,"temperature":0,"json_schema":{"type":"string","maxLength":200}}""");

        Assert.True(response.Status == HttpStatusCode.OK, response.Text);
        var cascade = response.Json.GetProperty("slm_cascade");
        Assert.Equal(2, cascade.GetProperty("tier").GetInt32());
        Assert.Contains("escalated: the answer was cut at max_tokens before its format was complete (tier 1 'small')", cascade.GetProperty("reason").GetString());
        Assert.Equal(["escalated", "accepted"], cascade.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("outcome").GetString()));
    }

    [Fact]
    public async Task A_tier_answer_that_validates_against_the_schema_is_accepted_by_its_rule()
    {
        var response = await _http.PostAsync("/v1/chat/completions",
            """{"model":"confident","messages":[{"role":"user","content":"Yes or no?"}],"max_tokens":16,"temperature":0,"response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"enum":["yes","no"]}}}}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var cascade = response.Json.GetProperty("slm_cascade");
        Assert.Equal((1, false), (cascade.GetProperty("tier").GetInt32(), cascade.GetProperty("escalated").GetBoolean()));
        Assert.StartsWith("accepted: ", cascade.GetProperty("reason").GetString());
        Assert.Contains(response.Json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!.Trim(), new[] { "\"yes\"", "\"no\"" });
    }

    [Fact]
    public async Task A_format_on_a_route_with_an_external_tier_is_a_400_naming_that_tier()
    {
        var response = await _http.PostAsync("/v1/chat/completions",
            """{"model":"anyok","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("response_format", response.Error.GetProperty("param").GetString());
        Assert.Contains("is an external API", response.Error.GetProperty("message").GetString());
    }
}
