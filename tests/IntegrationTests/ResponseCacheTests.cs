using Grpc.Core;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests;

/// <summary>A real Redis with a password (membership and the response cache), one worker and the gateway, shared by the cache tests.</summary>
public sealed class CachedClusterFixture : IAsyncLifetime
{
    internal LocalRedisServer Redis { get; private set; } = null!;

    internal ServiceProcess Worker { get; private set; } = null!;

    internal ServiceProcess Gateway { get; private set; } = null!;

    public InferenceClient Client => new(Gateway.Channel);

    public async Task InitializeAsync()
    {
        Redis = await LocalRedisServer.StartAsync();
        Worker = ServiceProcess.StartWorker("worker-cached", Redis, TestPaths.Model(ClusterFixture.ModelFile));
        await Worker.WaitHealthyAsync();
        Gateway = ServiceProcess.StartGateway(Redis);
        await Gateway.WaitHealthyAsync();
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Worker.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

public sealed class ResponseCacheTests(CachedClusterFixture cluster) : IClassFixture<CachedClusterFixture>
{
    private static GenerateRequest Request(string prompt, float temperature = 0, uint? seed = null)
    {
        var request = new GenerateRequest { Prompt = prompt, MaxTokens = 24, Sampling = new SamplingParams { Temperature = temperature } };
        if (seed is { } s)
        {
            request.Sampling.Seed = s;
        }

        return request;
    }

    private static CallOptions Deadline() => new(deadline: DateTime.UtcNow.AddSeconds(30));

    [Fact]
    public async Task The_second_identical_greedy_request_is_a_cache_hit_with_the_same_text_and_no_cost()
    {
        var prompt = Unique("Once upon a time");
        var first = await cluster.Client.GenerateAsync(Request(prompt), Deadline());
        var second = await EventuallyHitAsync(Request(prompt));

        Assert.False(first.Served.CacheHit);
        Assert.True(second.Served.CacheHit);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(first.Usage.CompletionTokens, second.Usage.CompletionTokens);
        Assert.Equal(first.FinishReason, second.FinishReason);
        Assert.Equal(0, second.Served.CostUsd);
    }

    [Fact]
    public async Task An_identical_request_sent_as_soon_as_the_first_has_completed_is_a_cache_hit_even_on_a_fresh_gateway()
    {
        // A gateway just started: nothing it does to store an answer has run before. No pause between a request
        // and its repeat: the answer must be findable by the time the first call has ended.
        await using var fresh = ServiceProcess.StartGateway(cluster.Redis);
        await fresh.WaitHealthyAsync();
        var client = new InferenceClient(fresh.Channel);
        for (var i = 0; i < 3; i++)
        {
            var prompt = Unique("Straight after");
            var first = await client.GenerateAsync(Request(prompt, temperature: 0.7f, seed: 7), Deadline());
            var repeat = await client.GenerateAsync(Request(prompt, temperature: 0.7f, seed: 7), Deadline());

            Assert.False(first.Served.CacheHit);
            Assert.True(repeat.Served.CacheHit, $"repeat {i} was generated again");
            Assert.Equal(first.Text, repeat.Text);
        }

        var streamed = Unique("Streamed straight after");
        var firstStream = await CollectAsync(client, Request(streamed));
        var repeatStream = await CollectAsync(client, Request(streamed));
        Assert.False(firstStream[^1].Served.CacheHit);
        Assert.True(repeatStream[^1].Served.CacheHit, "the streamed repeat was generated again");
        Assert.Equal(string.Concat(firstStream.Select(c => c.Text)), string.Concat(repeatStream.Select(c => c.Text)));
    }

    [Fact]
    public async Task Sampling_without_a_seed_is_never_cached()
    {
        var prompt = Unique("The dog");
        for (var i = 0; i < 3; i++)
        {
            var response = await cluster.Client.GenerateAsync(Request(prompt, temperature: 0.9f), Deadline());
            Assert.False(response.Served.CacheHit);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Seeded_sampling_is_cached()
    {
        var prompt = Unique("The cat");
        var first = await cluster.Client.GenerateAsync(Request(prompt, temperature: 0.9f, seed: 42), Deadline());
        var second = await EventuallyHitAsync(Request(prompt, temperature: 0.9f, seed: 42));

        Assert.Equal(first.Text, second.Text);
    }

    [Fact]
    public async Task Bypass_skips_the_cache()
    {
        var prompt = Unique("The sun");
        await cluster.Client.GenerateAsync(Request(prompt), Deadline());
        await EventuallyHitAsync(Request(prompt));

        var bypassed = Request(prompt);
        bypassed.Cache = new CachePolicy { Bypass = true };
        Assert.False((await cluster.Client.GenerateAsync(bypassed, Deadline())).Served.CacheHit);
    }

    [Fact]
    public async Task A_cached_answer_is_replayed_as_a_stream()
    {
        var prompt = Unique("The moon");
        var first = await cluster.Client.GenerateAsync(Request(prompt), Deadline());
        await EventuallyHitAsync(Request(prompt));

        using var call = cluster.Client.GenerateStream(Request(prompt), Deadline());
        var chunks = new List<GenerateChunk>();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            chunks.Add(chunk);
        }

        Assert.Equal(first.Text, string.Concat(chunks.Select(c => c.Text)));
        Assert.True(chunks[^1].Served.CacheHit);
        Assert.Equal(first.Usage.CompletionTokens, chunks[^1].Usage.CompletionTokens);
        Assert.Equal(first.FinishReason, chunks[^1].FinishReason);
    }

    [Fact]
    public async Task Ten_identical_concurrent_requests_generate_once()
    {
        var before = await RequestsServedAsync();
        var prompt = Unique("A little bird");
        var request = Request(prompt);
        request.MaxTokens = 200;
        request.IgnoreEos = true;

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => cluster.Client.GenerateAsync(request, Deadline()).ResponseAsync));

        Assert.Single(responses, r => !r.Served.CacheHit);
        Assert.All(responses, r => Assert.Equal(responses[0].Text, r.Text));
        // The worker counts a generation when its enumeration has wound down, just behind the answer.
        await Eventually.HoldsAsync(async () => await RequestsServedAsync() > before, seconds: 10);
        Assert.Equal(before + 1, await RequestsServedAsync());
    }

    [Fact]
    public async Task Cache_keys_are_namespaced_and_expire()
    {
        var prompt = Unique("A tree");
        var request = Request(prompt);
        request.Cache = new CachePolicy { TtlSeconds = 60 };
        await cluster.Client.GenerateAsync(request, Deadline());
        await EventuallyHitAsync(Request(prompt));

        // The hit came from the gateway's memory; Redis is written behind the response.
        await Eventually.HoldsAsync(async () =>
        {
            var ttl = await cluster.Redis.CommandAsync("EVAL", "local k = redis.call('KEYS', 'slm:cache:v1:*'); local m = 0; for _, key in ipairs(k) do local t = redis.call('TTL', key); if t > 0 and t <= 60 then m = m + 1 end end; return m", "0");
            return ttl != ":0";
        }, seconds: 10);
    }

    [Fact]
    public async Task Once_the_keys_are_tracked_a_miss_does_not_read_Redis_nor_does_a_repeat_on_the_same_gateway()
    {
        // The gateway scans the namespace and subscribes to SET notifications in the background after it starts.
        string? prompt = null;
        await Eventually.HoldsAsync(async () =>
        {
            prompt = Unique("A quiet lake");
            var before = await cluster.Redis.CommandCallsAsync("GET");
            var miss = await cluster.Client.GenerateAsync(Request(prompt), Deadline());
            Assert.False(miss.Served.CacheHit);
            return await cluster.Redis.CommandCallsAsync("GET") == before;
        }, seconds: 10);

        // The gateway that generated the answer keeps it in memory: its hit costs no Redis round trip.
        var readsBefore = await cluster.Redis.CommandCallsAsync("GET");
        var hit = await cluster.Client.GenerateAsync(Request(prompt!), Deadline());
        Assert.True(hit.Served.CacheHit);
        Assert.Equal(readsBefore, await cluster.Redis.CommandCallsAsync("GET"));
    }

    [Fact]
    public async Task A_second_gateway_hits_on_an_answer_the_first_one_stored()
    {
        await using var second = ServiceProcess.StartGateway(cluster.Redis);
        await second.WaitHealthyAsync();
        var client = new InferenceClient(second.Channel);
        // Wait until the second gateway answers misses from its own view of the keys...
        await Eventually.HoldsAsync(async () =>
        {
            var before = await cluster.Redis.CommandCallsAsync("GET");
            await client.GenerateAsync(Request(Unique("A red kite")), Deadline());
            return await cluster.Redis.CommandCallsAsync("GET") == before;
        }, seconds: 10);

        // ...then an answer only the first gateway generated must reach it too: through Redis' SET notification,
        // as the second gateway does not read Redis for keys it does not know. One try: a miss would store the
        // answer itself and teach it the key.
        // A TTL no other test asks for marks this answer's key in Redis (the TTL is not part of the key).
        var prompt = Unique("A green hill");
        var marked = Request(prompt);
        marked.Cache = new CachePolicy { TtlSeconds = 777 };
        var first = await cluster.Client.GenerateAsync(marked, Deadline());
        Assert.False(first.Served.CacheHit);
        await Eventually.HoldsAsync(async () =>
        {
            var stored = await cluster.Redis.CommandAsync("EVAL", "local m = 0; for _, key in ipairs(redis.call('KEYS', 'slm:cache:v1:*')) do local t = redis.call('TTL', key); if t > 700 and t <= 777 then m = m + 1 end end; return m", "0");
            return stored != ":0";
        }, seconds: 10);
        await Task.Delay(200); // Redis published the notification with the SET; this is time for its delivery
        var readsBefore = await cluster.Redis.CommandCallsAsync("GET");
        var fromSecond = await client.GenerateAsync(Request(prompt), Deadline());
        Assert.True(fromSecond.Served.CacheHit, "the second gateway answers from the cache what the first one stored");
        Assert.Equal(first.Text, fromSecond.Text);
        Assert.True(await cluster.Redis.CommandCallsAsync("GET") > readsBefore, "the second gateway read the answer from Redis");

        // What it read from Redis it keeps for the entry's remaining TTL: the next repeat stays in the process.
        var readsAfter = await cluster.Redis.CommandCallsAsync("GET");
        Assert.True((await client.GenerateAsync(Request(prompt), Deadline())).Served.CacheHit);
        Assert.Equal(readsAfter, await cluster.Redis.CommandCallsAsync("GET"));
    }

    [Fact]
    public async Task A_cached_answer_replays_its_logprobs_and_requests_without_them_or_with_other_top_logprobs_have_their_own_entries()
    {
        var prompt = Unique("The little fox");
        GenerateRequest WithLogprobs(int top)
        {
            var request = Request(prompt);
            request.Logprobs = true;
            request.TopLogprobs = top;
            return request;
        }

        var first = await cluster.Client.GenerateAsync(WithLogprobs(2), Deadline());
        var hit = await EventuallyHitAsync(WithLogprobs(2));
        var streamedHit = await CollectAsync(cluster.Client, WithLogprobs(2));

        Assert.False(first.Served.CacheHit);
        Assert.Equal(first.Usage.CompletionTokens, first.Logprobs.Count);
        Assert.True(hit.Served.CacheHit);
        Assert.Equal(first.Logprobs, hit.Logprobs);
        Assert.True(streamedHit[^1].Served.CacheHit);
        Assert.Equal(first.Logprobs, streamedHit.SelectMany(c => c.Logprobs));

        // The same request without logprobs is generated for itself, and its answer is kept without them.
        var plain = await cluster.Client.GenerateAsync(Request(prompt), Deadline());
        Assert.False(plain.Served.CacheHit, "a request without logprobs got the answer kept for one with them");
        Assert.Equal(first.Text, plain.Text);
        Assert.Empty(plain.Logprobs);
        var plainHit = await EventuallyHitAsync(Request(prompt));
        Assert.True(plainHit.Served.CacheHit);
        Assert.Empty(plainHit.Logprobs);

        // Other top_logprobs: another answer, never one with fewer alternatives than asked for.
        var three = await cluster.Client.GenerateAsync(WithLogprobs(3), Deadline());
        Assert.False(three.Served.CacheHit);
        Assert.All(three.Logprobs, l => Assert.Equal(3, l.TopLogprobs.Count));
    }

    [Fact]
    public async Task An_OpenAI_chat_cache_hit_still_carries_the_logprobs_it_asked_for()
    {
        using var http = new OpenAiHttpClient(cluster.Gateway.HttpAddress);
        var body = $$"""{"messages":[{"role":"user","content":"{{Unique("A brave mouse")}}"}],"max_tokens":8,"temperature":0,"logprobs":true,"top_logprobs":1}""";

        var first = (await http.PostAsync("/v1/chat/completions", body)).Json;
        var second = (await http.PostAsync("/v1/chat/completions", body)).Json;

        Assert.False(first.GetProperty("slm_cost").GetProperty("cache_hit").GetBoolean());
        Assert.True(second.GetProperty("slm_cost").GetProperty("cache_hit").GetBoolean());
        var firstLogprobs = first.GetProperty("choices")[0].GetProperty("logprobs").GetRawText();
        Assert.Equal(8, first.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("content").GetArrayLength());
        Assert.Equal(firstLogprobs, second.GetProperty("choices")[0].GetProperty("logprobs").GetRawText());
    }

    private static async Task<List<GenerateChunk>> CollectAsync(InferenceClient client, GenerateRequest request)
    {
        using var call = client.GenerateStream(request, Deadline());
        var chunks = new List<GenerateChunk>();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            chunks.Add(chunk);
        }

        return chunks;
    }

    private async Task<GenerateResponse> EventuallyHitAsync(GenerateRequest request)
    {
        // A hit is expected at once (the gateway keeps an answer before its call ends); the short retry keeps the
        // tests that use this about their own behaviour.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var response = await cluster.Client.GenerateAsync(request, Deadline());
            if (response.Served.CacheHit || DateTime.UtcNow > deadline)
            {
                return response;
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Generations the worker has run, from its /metrics.</summary>
    private async Task<double> RequestsServedAsync() => await cluster.Worker.MetricAsync("slm_worker_requests_total");

    private static string Unique(string prompt) => $"{prompt} {Guid.NewGuid():N}"[..(prompt.Length + 9)];
}
