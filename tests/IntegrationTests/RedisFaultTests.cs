using Grpc.Core;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests;

/// <summary>The response cache's Redis failing under a running cluster: answers keep coming, and caching comes back with it.</summary>
public sealed class RedisFaultTests
{
    [Fact]
    public async Task Killing_the_cache_Redis_keeps_the_gateway_serving_and_a_restarted_Redis_caches_again()
    {
        // The cache gets a Redis of its own (Redis:ConnectionString), apart from the one that holds membership: a Redis
        // restarted empty loses the Orleans membership table too, after which the silos running keep serving but no
        // silo can join them (the product's Redis keeps an append-only file for that; see WorkerMembershipTests), and
        // that is not what this test is about.
        await using var membership = await LocalRedisServer.StartAsync();
        // The cache's Redis runs in a container (Testcontainers): killed and started again empty, as Redis without
        // persistence comes back after a crash.
        await using var cache = await DockerRedis.StartAsync();
        await using var worker = ServiceProcess.StartWorker("worker-0", membership, TestPaths.Model(ClusterFixture.ModelFile));
        await worker.WaitHealthyAsync();
        await using var gateway = ServiceProcess.StartGateway(membership, $"--Redis:ConnectionString={cache.ConnectionString}");
        await gateway.WaitHealthyAsync();
        var client = new InferenceClient(gateway.Channel);

        Assert.False((await GenerateAsync(client, "Once upon a time there was a cat")).Served.CacheHit);
        await Eventually.HoldsAsync(async () => (await GenerateAsync(client, "Once upon a time there was a cat")).Served.CacheHit);
        // The hit came from the gateway's memory; Redis is written behind the response.
        await Eventually.HoldsAsync(async () => await cache.CountKeysAsync("slm:cache:v1:*") > 0);

        await cache.KillAsync();
        // Long enough for the circuit breaker to re-open several times: still one outage in the log.
        var down = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 20 || down.Elapsed < TimeSpan.FromSeconds(4); i++)
        {
            var response = await GenerateAsync(client, $"Once upon a time there was a dog number {i}");
            Assert.Equal(8, response.Usage.CompletionTokens);
        }

        await cache.RestartAsync();
        // The restarted Redis is empty; answers generated once it is back must reach it (the gateway's own memory
        // would answer repeats either way).
        var n = 0;
        await Eventually.HoldsAsync(async () =>
        {
            await GenerateAsync(client, $"Once upon a time there was a bird number {n++}");
            return await cache.CountKeysAsync("slm:cache:v1:*") > 0;
        });
        await Eventually.HoldsAsync(async () => (await GenerateAsync(client, "Once upon a time there was a bird")).Served.CacheHit);
        var outageLogs = gateway.Output.Split('\n').Count(l => l.Contains("is unavailable") && l.Contains("Redis"));
        Assert.Equal(1, outageLogs);
    }

    private static async Task<GenerateResponse> GenerateAsync(InferenceClient client, string prompt) =>
        await client.GenerateAsync(new GenerateRequest { Prompt = prompt, MaxTokens = 8 }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(20)));
}
