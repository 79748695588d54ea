using Grpc.Core;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;
using System.Diagnostics;
using System.Text.Json;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

/// <summary>Workers announce themselves in a real Redis; the gateway finds them there, with no endpoint configured.</summary>
public sealed class WorkerRegistryTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_new_worker_gets_traffic_within_3_s_and_a_killed_one_gets_none_within_3_s()
    {
        await using var redis = await DockerRedis.StartAsync();
        var cache = $"--ConnectionStrings:cache={redis.ConnectionString}";
        // Health probes a minute apart: only the registry can tell the gateway about joins and deaths here.
        await using var gateway = ServiceProcess.StartGateway([], cache, "--Gateway:HealthCheckInterval=00:01:00");
        await gateway.WaitListeningAsync();
        var client = new InferenceClient(gateway.Channel);

        await using var worker = ServiceProcess.StartWorker("worker-registered", TestPaths.Model(ClusterFixture.ModelFile), 1, cache);
        await worker.WaitHealthyAsync();
        var joined = Stopwatch.StartNew();
        await Eventually.HoldsAsync(async () => await ServedByAsync(client) == "worker-registered");
        Assert.True(joined.Elapsed < Budget, $"the new worker got its first request after {joined.Elapsed.TotalSeconds:F1} s");

        var registration = JsonDocument.Parse((await redis.CommandAsync("GET", "slm:workers:worker-registered"))!).RootElement;
        Assert.Equal("stories260K", registration.GetProperty("model").GetString());
        Assert.Equal(64, registration.GetProperty("modelSha256").GetString()!.Length);
        Assert.Equal("serving", registration.GetProperty("state").GetString());

        worker.Kill();
        var died = Stopwatch.StartNew();
        await Eventually.HoldsAsync(async () => (await client.ListModelsAsync(new ListModelsRequest(), Deadline())).Models.Count == 0);
        Assert.True(died.Elapsed < Budget, $"the killed worker stayed in rotation for {died.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task A_worker_stopped_with_SIGTERM_drains_and_removes_itself()
    {
        await using var redis = await DockerRedis.StartAsync();
        var cache = $"--ConnectionStrings:cache={redis.ConnectionString}";
        await using var worker = ServiceProcess.StartWorker("worker-leaving", TestPaths.Model(ClusterFixture.ModelFile), 1, cache);
        await worker.WaitHealthyAsync();
        await Eventually.HoldsAsync(async () => await redis.CommandAsync("EXISTS", "slm:workers:worker-leaving") == ":1");

        // A generation in flight when SIGTERM arrives still completes.
        var client = new InferenceClient(worker.Channel);
        using var call = client.GenerateStream(new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 400, IgnoreEos = true }, Deadline());
        var chunks = call.ResponseStream.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await chunks.MoveNextAsync());
        worker.Terminate();

        var last = chunks.Current;
        while (await chunks.MoveNextAsync())
        {
            last = chunks.Current;
        }

        Assert.Equal(400, last.Usage.CompletionTokens);
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(":0", await redis.CommandAsync("EXISTS", "slm:workers:worker-leaving"));
        Assert.Contains("draining", worker.Output);
    }

    private static async Task<string?> ServedByAsync(InferenceClient client)
    {
        try
        {
            var response = await client.GenerateAsync(new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 1 }, Deadline());
            return response.Served.WorkerId;
        }
        catch (RpcException)
        {
            return null;
        }
    }

    private static CallOptions Deadline() => new(deadline: DateTime.UtcNow.AddSeconds(20));
}
