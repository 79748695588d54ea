using System.Net;
using Aspire.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.AppHost;

/// <summary>
/// The real AppHost declaring two models, under Aspire.Hosting.Testing: a worker group for each, requests routed by
/// model id, and the gateway serving gRPC (our client and grpc-js) and the OpenAI API. The tests leave the cluster as
/// they found it, so they share one.
/// </summary>
[Collection(AppHostClusterCollection.Name)]
public sealed class MultiModelTests(MultiModelTests.Cluster cluster) : IClassFixture<MultiModelTests.Cluster>
{
    private readonly int _grpcPort = cluster.GrpcPort;
    private readonly int _httpPort = cluster.HttpPort;

    public sealed class Cluster : IAsyncLifetime
    {
        private DistributedApplication _app = null!;

        public int GrpcPort { get; private set; }

        public int HttpPort { get; private set; }

        public async Task InitializeAsync()
        {
            // The AppHost's local defaults: the two test models, one worker each, and the cascade route over them.
            (_app, GrpcPort, HttpPort) = await AspireClusterTests.StartWithDefaultsAsync("--threads", "1", "--slots", "2");
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await _app.ResourceNotifications.WaitForResourceHealthyAsync("gateway", cancel.Token);
            await DashboardStats.WaitAsync(HttpPort, s => s.Workers.Count(w => w.State == "serving") == 2, TimeSpan.FromSeconds(120));
        }

        public async Task DisposeAsync() => await _app.DisposeAsync();
    }

    [Fact]
    public async Task The_gateway_serves_gRPC_grpc_js_and_the_OpenAI_API()
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_grpcPort}");
        var answer = await new InferenceClient(channel).GenerateAsync(
            new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 8, Cache = new CachePolicy { Bypass = true } },
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal(8, answer.Usage.CompletionTokens);

        var peer = await InteropTests.RunPeerAsync($"127.0.0.1:{_grpcPort}", "generate", "Once upon a time", "8");
        Assert.Equal(answer.Text, peer.GetProperty("response").GetProperty("text").GetString());

        using var openAi = new OpenAiHttpClient(new Uri($"http://127.0.0.1:{_httpPort}/"));
        var chat = await openAi.PostAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":4}""");
        Assert.Equal(HttpStatusCode.OK, chat.Status);
    }


    [Fact]
    public async Task Both_models_are_listed_and_each_request_is_served_by_the_model_it_names()
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_grpcPort}");
        var client = new InferenceClient(channel);
        var models = await client.ListModelsAsync(new ListModelsRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)));
        // The two models, and the cascade route over them the AppHost declares by default.
        Assert.Equal(["auto", "stories260K", "tinystories-656k-q8_0"], models.Models.Select(m => m.Id).Order(StringComparer.Ordinal));
        Assert.All(models.Models.Where(m => m.Id != "auto"), m => Assert.Equal(1, m.Replicas));

        using var openAi = new OpenAiHttpClient(new Uri($"http://127.0.0.1:{_httpPort}/"));
        var listed = await openAi.GetAsync("/v1/models");
        Assert.Contains("tinystories-656k-q8_0", listed.Text, StringComparison.Ordinal);
        Assert.Contains("stories260K", listed.Text, StringComparison.Ordinal);

        var workers = new Dictionary<string, string>();
        foreach (var model in new[] { "stories260K", "tinystories-656k-q8_0", "stories260K", "tinystories-656k-q8_0" })
        {
            var answer = await client.GenerateAsync(
                new GenerateRequest { Model = model, Prompt = "Once upon a time", MaxTokens = 8, Cache = new CachePolicy { Bypass = true } },
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
            Assert.Equal(model, answer.Served.Model);
            Assert.Equal(workers.GetValueOrDefault(model, answer.Served.WorkerId), answer.Served.WorkerId);
            workers[model] = answer.Served.WorkerId;
        }

        Assert.NotEqual(workers["stories260K"], workers["tinystories-656k-q8_0"]);

        // A request without a model gets the first model the AppHost declared.
        var byDefault = await client.GenerateAsync(new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 4, Cache = new CachePolicy { Bypass = true } },
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal("stories260K", byDefault.Served.Model);
    }

    [Fact]
    public async Task The_default_cluster_embeds_with_its_first_model_and_answers_a_repeat_from_the_cache()
    {
        // The README's curl.
        const string Body = """{"model":"stories260K","input":["Once upon a time","The cat sat on the mat."]}""";
        using var openAi = new OpenAiHttpClient(new Uri($"http://127.0.0.1:{_httpPort}/"));

        var first = await openAi.PostAsync("/v1/embeddings", Body);
        var repeat = await openAi.PostAsync("/v1/embeddings", Body);
        var generationOnly = await openAi.PostAsync("/v1/embeddings", """{"model":"tinystories-656k-q8_0","input":"Once upon a time"}""");
        var listed = (await openAi.GetAsync("/v1/models")).Json.GetProperty("data").EnumerateArray()
            .ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()!).ToArray());

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(2, first.Json.GetProperty("data").GetArrayLength());
        Assert.False(first.Json.GetProperty("served").GetProperty("cache_hit").GetBoolean());
        Assert.True(repeat.Json.GetProperty("served").GetProperty("cache_hit").GetBoolean());
        Assert.Equal(first.Json.GetProperty("data").GetRawText(), repeat.Json.GetProperty("data").GetRawText());
        Assert.Equal(first.Json.GetProperty("usage").GetRawText(), repeat.Json.GetProperty("usage").GetRawText());
        Assert.Equal(HttpStatusCode.BadRequest, generationOnly.Status);
        Assert.Equal(["generation", "embeddings"], listed["stories260K"]);
        Assert.Equal(["generation"], listed["tinystories-656k-q8_0"]);
    }

    [Fact]
    public async Task A_prompt_the_model_cannot_encode_is_refused_and_its_worker_keeps_serving()
    {
        // tinystories-656k's vocabulary has no '(' and no byte tokens to fall back on; llama.cpp would throw through its
        // C API and end the worker.
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_grpcPort}");
        var client = new InferenceClient(channel);
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await client.GenerateAsync(
            new GenerateRequest { Model = "tinystories-656k-q8_0", Prompt = "def fibonacci(n):", MaxTokens = 4, Cache = new CachePolicy { Bypass = true } },
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30))));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("cannot encode", refused.Status.Detail, StringComparison.Ordinal);

        var after = await client.GenerateAsync(
            new GenerateRequest { Model = "tinystories-656k-q8_0", Prompt = "Once upon a time", MaxTokens = 4, Cache = new CachePolicy { Bypass = true } },
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal("tinystories-656k-q8_0", after.Served.Model);
    }

    [Fact]
    public async Task The_auto_route_answers_with_the_small_model_when_it_is_confident_and_the_larger_one_when_not()
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_grpcPort}");
        var client = new InferenceClient(channel);
        async Task<GenerateResponse> AskAsync(string prompt) => await client.GenerateAsync(
            new GenerateRequest { Model = "auto", Prompt = prompt, MaxTokens = 32, Cache = new CachePolicy { Bypass = true } },
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60)));

        // A story opening: stories260K continues it (greedy) at a mean token logprob of about -0.2, above the default -0.75.
        var story = await AskAsync("Once upon a time");
        Assert.True(story.Served.Model == "stories260K", $"{story.Served.Model}: {story.Served.Cascade}");
        Assert.Equal(1, story.Served.Cascade.Tier);
        Assert.False(story.Served.Cascade.Escalated);
        Assert.InRange(story.Served.Cascade.MeanLogprob, -0.75, 0);
        Assert.StartsWith("accepted", story.Served.Cascade.Reason, StringComparison.Ordinal);

        // Text it has never seen: about -0.9, so the larger model answers, and the answer says why.
        var physics = await AskAsync("The mitochondrial electron transport chain");
        Assert.True(physics.Served.Model == "tinystories-656k-q8_0", $"{physics.Served.Model}: {physics.Served.Cascade}");
        Assert.Equal(2, physics.Served.Cascade.Tier);
        Assert.True(physics.Served.Cascade.Escalated);
        Assert.Equal("escalated", physics.Served.Cascade.Attempts[0].Outcome);
        Assert.True(physics.Served.Cascade.Attempts[0].MeanLogprob < -0.75, physics.Served.Cascade.Reason);

        // The dashboard's numbers: both requests on the route, one escalated, and what they cost against the last tier alone.
        await DashboardStats.WaitAsync(_httpPort, s => s.Cascade.Any(r => r.Name == "auto" && r.Requests >= 2), TimeSpan.FromSeconds(10));
        var route = Assert.Single((await DashboardStats.ReadAsync(_httpPort)).Cascade, r => r.Name == "auto");
        Assert.True(route.Escalated >= 1);
        Assert.True(route.LastTierCostUsd > 0);
        Assert.Equal(route.LastTierCostUsd - route.CostUsd, route.SavedUsd, 9);
    }
}
