using Grpc.Core;
using SlmCluster.Inference;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

[Collection(ClusterCollection.Name)]
public sealed class GatewayEndToEndTests(ClusterFixture cluster)
{
    private const string Prompt = "Once upon a time";

    private static GenerateRequest Greedy(string prompt = Prompt, int maxTokens = 32) => new()
    {
        Prompt = prompt,
        MaxTokens = maxTokens,
        Sampling = new SamplingParams { Temperature = 0 },
    };

    private static CallOptions Deadline(int seconds = 30) => new(deadline: DateTime.UtcNow.AddSeconds(seconds));

    [Fact]
    public async Task Greedy_text_is_the_same_from_the_engine_and_through_the_gateway()
    {
        await using var engine = LlamaEngine.Start(new EngineOptions { ModelPath = TestPaths.Model(ClusterFixture.ModelFile), Threads = 1 },
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var direct = new System.Text.StringBuilder();
        await foreach (var update in engine.GenerateAsync(new GenerationRequest { Prompt = Prompt, MaxTokens = 32 }))
        {
            direct.Append(update.Text);
        }

        var fromGateway = await cluster.GatewayClient.GenerateAsync(Greedy(), Deadline());

        Assert.False(string.IsNullOrWhiteSpace(direct.ToString()));
        Assert.Equal(direct.ToString(), fromGateway.Text);
        Assert.Equal(32, fromGateway.Usage.CompletionTokens);
        Assert.Equal(FinishReason.Length, fromGateway.FinishReason);
        Assert.Equal(ClusterFixture.ModelId, fromGateway.Served.Model);
        Assert.StartsWith("worker-", fromGateway.Served.WorkerId);
    }

    [Fact]
    public async Task Streamed_chunks_add_up_to_the_unary_text_and_the_last_one_carries_usage()
    {
        var unary = await cluster.GatewayClient.GenerateAsync(Greedy(), Deadline());
        using var call = cluster.GatewayClient.GenerateStream(Greedy(), Deadline());
        var chunks = new List<GenerateChunk>();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            chunks.Add(chunk);
        }

        Assert.True(chunks.Count > 2, $"expected many chunks, got {chunks.Count}");
        Assert.Equal(unary.Text, string.Concat(chunks.Select(c => c.Text)));
        var last = chunks[^1];
        Assert.Equal(FinishReason.Length, last.FinishReason);
        Assert.Equal(32, last.Usage.CompletionTokens);
        Assert.True(last.Usage.PromptTokens > 0);
        Assert.True(last.Served.TimeToFirstTokenMs > 0);
        Assert.All(chunks.SkipLast(1), c => Assert.Null(c.Usage));
    }

    [Fact]
    public async Task Requests_are_spread_over_both_workers()
    {
        // Two random choices among idle workers pick either one: 24 requests all landing on one worker
        // happens with probability 2^-23, so this fails only when the spreading is broken.
        var workers = new HashSet<string>();
        for (var i = 0; i < 24 && workers.Count < 2; i++)
        {
            var response = await cluster.GatewayClient.GenerateAsync(Greedy(maxTokens: 2), Deadline());
            workers.Add(response.Served.WorkerId);
        }

        Assert.Equal(["worker-0", "worker-1"], workers.Order());
    }

    [Fact]
    public async Task ListModels_reports_the_served_model_with_its_replicas()
    {
        var response = await cluster.GatewayClient.ListModelsAsync(new ListModelsRequest(), Deadline());

        var model = Assert.Single(response.Models);
        Assert.Equal(ClusterFixture.ModelId, model.Id);
        Assert.Equal("llama", model.Architecture);
        Assert.Equal(2, model.Replicas);
    }

    [Fact]
    public async Task Unknown_model_is_not_found_and_the_message_lists_the_available_ones()
    {
        var request = Greedy();
        request.Model = "gpt-9";

        var e = await Assert.ThrowsAsync<RpcException>(() => cluster.GatewayClient.GenerateAsync(request, Deadline()).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains("gpt-9", e.Status.Detail);
        Assert.Contains(ClusterFixture.ModelId, e.Status.Detail);
    }

    [Theory]
    [InlineData("", 16, 0f, "neither a prompt nor messages")]
    [InlineData("Once", -1, 0f, "max_tokens")]
    [InlineData("Once", 100000, 0f, "max_tokens")]
    [InlineData("Once", 16, -0.5f, "temperature")]
    public async Task Bad_fields_are_invalid_arguments_with_a_message_that_names_them(string prompt, int maxTokens, float temperature, string expected)
    {
        var request = new GenerateRequest { Prompt = prompt, MaxTokens = maxTokens, Sampling = new SamplingParams { Temperature = temperature } };

        var e = await Assert.ThrowsAsync<RpcException>(() => cluster.GatewayClient.GenerateAsync(request, Deadline()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(expected, e.Status.Detail);
    }

    [Fact]
    public async Task A_short_deadline_on_a_long_generation_is_deadline_exceeded_and_the_gateway_keeps_serving()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            cluster.GatewayClient.GenerateAsync(Greedy(maxTokens: 4000), new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(50))).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);

        var after = await cluster.GatewayClient.GenerateAsync(Greedy(maxTokens: 4), Deadline());
        Assert.Equal(4, after.Usage.CompletionTokens);
    }

    [Fact]
    public async Task Logprobs_come_with_the_unary_answer_and_with_the_streamed_chunks_that_carry_their_text()
    {
        var request = Greedy(maxTokens: 16);
        request.Logprobs = true;
        request.TopLogprobs = 3;

        var unary = await cluster.GatewayClient.GenerateAsync(request, Deadline());
        using var call = cluster.GatewayClient.GenerateStream(request, Deadline());
        var chunks = new List<GenerateChunk>();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            chunks.Add(chunk);
        }

        // One entry per generated token; their bytes are the answer's text; greedy picked each position's best token.
        Assert.Equal(unary.Usage.CompletionTokens, unary.Logprobs.Count);
        Assert.Equal(unary.Text, string.Concat(unary.Logprobs.Select(l => l.Bytes.ToStringUtf8())));
        Assert.All(unary.Logprobs, l =>
        {
            Assert.InRange(l.Logprob, float.MinValue, 0f);
            Assert.Equal(3, l.TopLogprobs.Count);
            Assert.Equal(l.Token, l.TopLogprobs[0].Token);
            Assert.Equal(l.Logprob, l.TopLogprobs[0].Logprob);
        });

        // Streamed, each chunk brings the entries of its own text (a plain ASCII story), and together the unary ones.
        Assert.All(chunks, c => Assert.Equal(c.Text, string.Concat(c.Logprobs.Select(l => l.Bytes.ToStringUtf8()))));
        var streamed = chunks.SelectMany(c => c.Logprobs).ToList();
        Assert.Equal(unary.Logprobs.Select(l => l.Token), streamed.Select(l => l.Token));
        Assert.All(unary.Logprobs.Zip(streamed), p => Assert.Equal(p.First.Logprob, p.Second.Logprob, 1e-3f));
    }

    [Fact]
    public async Task Without_logprobs_nothing_is_reported_and_top_logprobs_past_20_is_an_invalid_argument()
    {
        var plain = await cluster.GatewayClient.GenerateAsync(Greedy(maxTokens: 4), Deadline());
        Assert.Empty(plain.Logprobs);

        var tooMany = Greedy(maxTokens: 4);
        tooMany.TopLogprobs = 21;
        var e = await Assert.ThrowsAsync<RpcException>(() => cluster.GatewayClient.GenerateAsync(tooMany, Deadline()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("top_logprobs is 21", e.Status.Detail);
    }
}
