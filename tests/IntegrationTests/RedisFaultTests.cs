using Grpc.Core;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

/// <summary>Redis and workers failing under a running cluster: what fails, and what must not.</summary>
public sealed class RedisFaultTests
{
    [Fact]
    public async Task Killing_Redis_keeps_the_gateway_serving_and_a_restarted_Redis_caches_again()
    {
        await using var redis = await DockerRedis.StartAsync();
        var cache = $"--ConnectionStrings:cache={redis.ConnectionString}";
        await using var worker = ServiceProcess.StartWorker("worker-0", TestPaths.Model(ClusterFixture.ModelFile), 1, cache);
        await worker.WaitHealthyAsync();
        await using var gateway = ServiceProcess.StartGateway([worker.GrpcAddress], cache);
        await gateway.WaitHealthyAsync();
        var client = new InferenceClient(gateway.Channel);

        Assert.False((await GenerateAsync(client, "Once upon a time there was a cat")).Served.CacheHit);
        await Eventually.HoldsAsync(async () => (await GenerateAsync(client, "Once upon a time there was a cat")).Served.CacheHit);

        await redis.KillAsync();
        // Long enough for the circuit breaker to re-open several times: still one outage in the log.
        var down = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 20 || down.Elapsed < TimeSpan.FromSeconds(4); i++)
        {
            var response = await GenerateAsync(client, $"Once upon a time there was a dog number {i}");
            Assert.Equal(8, response.Usage.CompletionTokens);
        }

        await redis.RestartAsync();
        // The restarted Redis is empty; answers generated once it is back must reach it (the gateway's own memory
        // would answer repeats either way).
        var n = 0;
        await Eventually.HoldsAsync(async () =>
        {
            await GenerateAsync(client, $"Once upon a time there was a bird number {n++}");
            return await redis.CountKeysAsync("slm:cache:v1:*") > 0;
        });
        await Eventually.HoldsAsync(async () => (await GenerateAsync(client, "Once upon a time there was a bird")).Served.CacheHit);
        var outageLogs = gateway.Output.Split('\n').Count(l => l.Contains("is unavailable") && l.Contains("Redis"));
        Assert.Equal(1, outageLogs);
    }

    [Fact]
    public async Task Killing_a_worker_under_load_fails_only_the_streams_it_had_started()
    {
        await using var cluster = await DoomedWorkerCluster.StartAsync();
        var (doomed, client) = (cluster.Doomed, cluster.Client);

        var streams = Enumerable.Range(0, 6).Select(i => new ObservedStream(client, $"Once upon a time, story {i}")).ToArray();
        var running = streams.Select(s => s.RunAsync()).ToArray();
        await Eventually.HoldsAsync(() => Task.FromResult(streams.Count(s => s.Chunks > 0) >= 2));

        doomed.Kill();
        var startedAtKill = streams.Select(s => s.Chunks > 0).ToArray();
        await Task.WhenAll(running);

        for (var i = 0; i < streams.Length; i++)
        {
            var stream = streams[i];
            if (stream.Error is { } error)
            {
                Assert.True(startedAtKill[i] || stream.Chunks > 0, $"stream {i} failed before its first token: {error.StatusCode} {error.Status.Detail}");
                Assert.Equal(StatusCode.Unavailable, error.StatusCode);
                Assert.Contains("incomplete", error.Status.Detail);
            }
            else
            {
                Assert.Equal(300, stream.CompletionTokens);
            }
        }

        Assert.Contains(streams, s => s.Error is null);
    }

    private static async Task<GenerateResponse> GenerateAsync(InferenceClient client, string prompt) =>
        await client.GenerateAsync(new GenerateRequest { Prompt = prompt, MaxTokens = 8 }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(20)));


    private sealed class ObservedStream(InferenceClient client, string prompt)
    {
        private int _chunks;

        public int Chunks => Volatile.Read(ref _chunks);

        public RpcException? Error { get; private set; }

        public int CompletionTokens { get; private set; }

        public async Task RunAsync()
        {
            try
            {
                var request = new GenerateRequest { Prompt = prompt, MaxTokens = 300, IgnoreEos = true, Cache = new CachePolicy { Bypass = true } };
                using var call = client.GenerateStream(request, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60)));
                await foreach (var chunk in call.ResponseStream.ReadAllAsync())
                {
                    Interlocked.Increment(ref _chunks);
                    if (chunk.Usage is { } usage)
                    {
                        CompletionTokens = usage.CompletionTokens;
                    }
                }
            }
            catch (RpcException e)
            {
                Error = e;
            }
        }
    }
}
