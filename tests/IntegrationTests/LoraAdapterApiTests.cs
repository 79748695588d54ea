using System.Net;
using Grpc.Core;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

/// <summary>LoRA adapters chosen per request through the real gateway: by model id, by llama-server's <c>lora</c>, on gRPC and Ollama.</summary>
[Collection(LoraClusterCollection.Name)]
public sealed class LoraAdapterApiTests(LoraClusterFixture cluster) : IDisposable
{
    private const string Prompt = "Once upon a time";

    private readonly OpenAiHttpClient _client = new(cluster.Gateway.HttpAddress);

    public void Dispose() => _client.Dispose();

    private static string Completion(string model, string extra = "", int maxTokens = 24) =>
        $$"""{"model":"{{model}}","prompt":"{{Prompt}}","max_tokens":{{maxTokens}},"temperature":0,"ignore_eos":true{{extra}}}""";

    private async Task<string> TextAsync(string body)
    {
        var response = await _client.PostAsync("/v1/completions", body);
        Assert.True(response.Status == HttpStatusCode.OK, $"{response.Status}: {response.Json}");
        return response.Json.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }

    private async Task<GenerateResponse> GrpcAsync(string model, params AdapterChoice[] adapters)
    {
        var request = new GenerateRequest { Model = model, Prompt = Prompt, MaxTokens = 24, IgnoreEos = true, Sampling = new SamplingParams { Temperature = 0 } };
        request.Adapters.Add(adapters);
        return await cluster.GatewayClient.GenerateAsync(request, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60)));
    }

    [Fact]
    public async Task Models_lists_each_loaded_adapter_with_its_parent_and_leaves_out_the_one_that_does_not_fit()
    {
        var json = (await _client.GetAsync("/v1/models")).Json;
        var models = json.GetProperty("data").EnumerateArray()
            .ToDictionary(m => m.GetProperty("id").GetString()!, m => m.TryGetProperty("parent", out var p) ? p.GetString() : null);

        Assert.Equal(LoraClusterFixture.ModelId, models[LoraClusterFixture.Support]);
        Assert.Equal(LoraClusterFixture.ModelId, models[LoraClusterFixture.Legal]);
        Assert.Null(models[LoraClusterFixture.ModelId]);
        Assert.False(models.ContainsKey(LoraClusterFixture.Broken));

        var listed = (await cluster.GatewayClient.ListModelsAsync(new ListModelsRequest())).Models;
        var model = Assert.Single(listed, m => m.Id == LoraClusterFixture.ModelId);
        Assert.Equal([LoraClusterFixture.Support, LoraClusterFixture.Legal], model.Adapters.Select(a => a.Name));
        Assert.All(model.Adapters, a => Assert.Equal(8, a.Rank));
        Assert.Contains("architecture 'gpt2'", cluster.Worker0.Output);
    }

    [Fact]
    public async Task An_adapter_answers_alike_by_model_id_by_lora_name_or_id_on_gRPC_and_on_Ollama_and_unlike_the_base()
    {
        var byModelId = await TextAsync(Completion(LoraClusterFixture.Support));
        var byName = await TextAsync(Completion(LoraClusterFixture.ModelId, $$$""","lora":[{"name":"{{{LoraClusterFixture.Support}}}","scale":1}]"""));
        var byId = await TextAsync(Completion(LoraClusterFixture.ModelId, ""","lora":[{"id":0}]"""));
        var plain = await TextAsync(Completion(LoraClusterFixture.ModelId));
        var legal = await TextAsync(Completion(LoraClusterFixture.Legal));
        var grpc = await GrpcAsync(LoraClusterFixture.ModelId, new AdapterChoice { Name = LoraClusterFixture.Support });
        var ollama = (await _client.PostAsync("/api/generate",
            $$$"""{"model":"{{{LoraClusterFixture.Support}}}","prompt":"{{{Prompt}}}","raw":true,"stream":false,"options":{"temperature":0,"num_predict":24}}""")).Json;

        Assert.Equal(byModelId, byName);
        Assert.Equal(byModelId, byId);
        Assert.Equal(byModelId, grpc.Text);
        Assert.NotEqual(plain, byModelId);
        Assert.NotEqual(legal, byModelId);
        Assert.NotEqual(plain, legal);
        Assert.StartsWith(ollama.GetProperty("response").GetString()!, byModelId);

        var named = (await _client.PostAsync("/v1/completions", Completion(LoraClusterFixture.Support))).Json;
        Assert.Equal(LoraClusterFixture.Support, named.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Unknown_adapters_are_not_found_and_bad_choices_are_refused_with_400()
    {
        var unknownModel = await _client.PostAsync("/v1/completions", Completion("no-such-adapter"));
        Assert.Equal(HttpStatusCode.NotFound, unknownModel.Status);
        var broken = await _client.PostAsync("/v1/completions", Completion(LoraClusterFixture.Broken));
        Assert.Equal(HttpStatusCode.NotFound, broken.Status);
        var unknownLora = await _client.PostAsync("/v1/completions", Completion(LoraClusterFixture.ModelId, ""","lora":[{"name":"nope"}]"""));
        Assert.Equal(HttpStatusCode.NotFound, unknownLora.Status);
        Assert.Contains(LoraClusterFixture.Support, unknownLora.Json.GetProperty("error").GetProperty("message").GetString());

        var badId = await _client.PostAsync("/v1/completions", Completion(LoraClusterFixture.ModelId, ""","lora":[{"id":7}]"""));
        Assert.Equal(HttpStatusCode.BadRequest, badId.Status);
        Assert.Equal("lora[0]", badId.Json.GetProperty("error").GetProperty("param").GetString());
        var badScale = await _client.PostAsync("/v1/completions", Completion(LoraClusterFixture.ModelId, ""","lora":[{"id":0,"scale":100}]"""));
        Assert.Equal(HttpStatusCode.BadRequest, badScale.Status);
        var badShape = await _client.PostAsync("/v1/completions", Completion(LoraClusterFixture.ModelId, ""","lora":[{"id":0,"weight":1}]"""));
        Assert.Equal(HttpStatusCode.BadRequest, badShape.Status);
        var twice = await _client.PostAsync("/v1/completions", Completion(LoraClusterFixture.ModelId, ""","lora":[{"id":0},{"name":"support"}]"""));
        Assert.Equal(HttpStatusCode.BadRequest, twice.Status);

        var grpc = await Assert.ThrowsAsync<RpcException>(() => GrpcAsync(LoraClusterFixture.ModelId, new AdapterChoice { Name = "nope" }));
        Assert.Equal(StatusCode.NotFound, grpc.StatusCode);
    }

    [Fact]
    public async Task The_response_cache_keys_the_adapter_and_its_scale_and_the_metrics_label_the_adapter()
    {
        var workersBefore = await WorkerTokensAsync(LoraClusterFixture.Legal);
        var first = await GrpcAsync(LoraClusterFixture.ModelId, new AdapterChoice { Name = LoraClusterFixture.Legal, Scale = 0.5f });
        var again = await GrpcAsync(LoraClusterFixture.ModelId, new AdapterChoice { Name = LoraClusterFixture.Legal, Scale = 0.5f });
        var fullScale = await GrpcAsync(LoraClusterFixture.ModelId, new AdapterChoice { Name = LoraClusterFixture.Legal, Scale = 1f });
        var plain = await GrpcAsync(LoraClusterFixture.ModelId);

        Assert.False(first.Served.CacheHit);
        Assert.True(again.Served.CacheHit);
        Assert.Equal(first.Text, again.Text);
        Assert.False(fullScale.Served.CacheHit);
        Assert.NotEqual(first.Text, fullScale.Text);
        Assert.NotEqual(first.Text, plain.Text);

        Assert.True(await cluster.Gateway.MetricAsync("slm_requests_total", $"adapter=\"{LoraClusterFixture.Legal}\"") >= 3);
        Assert.True(await cluster.Gateway.MetricAsync("slm_completion_tokens_total", $"adapter=\"{LoraClusterFixture.Legal}\"") >= 48);
        // Two answers generated under the adapter (the repeat came from the cache), 24 tokens each.
        Assert.Equal(48, await WorkerTokensAsync(LoraClusterFixture.Legal) - workersBefore);

        // The web dashboard counts the same, and lists what each worker loaded (not the adapter that failed).
        var stats = await DashboardStats.ReadAsync(cluster.Gateway.HttpAddress.Port);
        var legal = Assert.Single(stats.Adapters ?? [], a => a.Adapter == LoraClusterFixture.Legal);
        Assert.Equal(LoraClusterFixture.ModelId, legal.Model);
        Assert.True(legal.Requests >= 3, $"{legal.Requests} requests");
        Assert.True(legal.CompletionTokens >= 48, $"{legal.CompletionTokens} tokens");
        Assert.All(stats.Workers, w => Assert.Equal([LoraClusterFixture.Legal, LoraClusterFixture.Support], (w.Adapters ?? []).Order()));
    }

    [Fact]
    public async Task A_cascade_tier_may_name_an_adapter_and_answers_as_the_adapter_asked_directly()
    {
        var legal = await ShortAsync(LoraClusterFixture.Legal);
        var support = await ShortAsync(LoraClusterFixture.Support);

        var accepted = await ShortAsync(LoraClusterFixture.AdapterFirst);
        var escalated = await ShortAsync(LoraClusterFixture.AdapterLast);
        var again = await ShortAsync(LoraClusterFixture.AdapterFirst);

        Assert.Equal(legal.Text, accepted.Text);
        Assert.Equal((1, LoraClusterFixture.Legal, false), (accepted.Served.Cascade.Tier, accepted.Served.Cascade.TierName, accepted.Served.Cascade.Escalated));
        Assert.Equal(support.Text, escalated.Text);
        Assert.Equal((2, LoraClusterFixture.Support, true), (escalated.Served.Cascade.Tier, escalated.Served.Cascade.TierName, escalated.Served.Cascade.Escalated));
        // The route's cache key holds the adapter's file: a repeat is answered from the cache.
        Assert.True(again.Served.CacheHit);
        Assert.Equal(accepted.Text, again.Text);
    }

    // Shorter than the other tests' requests, so that none of theirs is answered from this test's cache entries.
    private async Task<GenerateResponse> ShortAsync(string model) => await cluster.GatewayClient.GenerateAsync(
        new GenerateRequest { Model = model, Prompt = Prompt, MaxTokens = 16, IgnoreEos = true, Sampling = new SamplingParams { Temperature = 0 } },
        new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60)));

    private async Task<double> WorkerTokensAsync(string adapter) =>
        await cluster.Worker0.MetricAsync("slm_worker_completion_tokens_total", $"adapter=\"{adapter}\"")
        + await cluster.Worker1.MetricAsync("slm_worker_completion_tokens_total", $"adapter=\"{adapter}\"");
}
