using System.Diagnostics;
using Grpc.Core;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using Xunit.Abstractions;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// Workers join and leave the cluster through Orleans membership (in a real Redis); the gateway routes to whoever is
/// in it, with no endpoint configured: a worker started later takes traffic, a killed one is dropped, a stopped one drains.
/// </summary>
public sealed class WorkerMembershipTests(ITestOutputHelper output)
{
    private static readonly TimeSpan JoinBudget = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan KillBudget = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_worker_started_later_gets_traffic_within_3_s_and_a_SIGKILLed_one_is_out_of_routing_within_2_s()
    {
        var model = TestPaths.Model(ClusterFixture.ModelFile);
        await using var redis = await LocalRedisServer.StartAsync();
        await using var first = ServiceProcess.StartWorker("worker-first", redis, model);
        await first.WaitHealthyAsync();
        await using var gateway = ServiceProcess.StartGateway(redis, ServiceProcess.WithoutResponseCache);
        await gateway.WaitHealthyAsync();
        var client = new InferenceClient(gateway.Channel);

        // Scale-out: a worker started by hand against the same Redis, nothing told to the gateway.
        await using var later = ServiceProcess.StartWorker("worker-later", redis, model);
        await later.WaitHealthyAsync();
        var joined = Stopwatch.StartNew();
        // Two idle workers: each request goes to either, so the new one's first request comes within a few tries.
        while (await ServedByAsync(client) != "worker-later")
        {
            Assert.True(joined.Elapsed < JoinBudget, $"worker-later got no request within {JoinBudget.TotalSeconds} s of its /health turning 200");
        }

        var joinTime = joined.Elapsed;
        Assert.Equal(2, await ReplicasAsync(client));

        later.Kill();
        var killed = Stopwatch.StartNew();
        while (await ReplicasAsync(client) != 1)
        {
            Assert.True(killed.Elapsed < KillBudget, $"the SIGKILLed worker was still in routing {killed.Elapsed.TotalSeconds:F2} s after the kill");
            await Task.Delay(10);
        }

        var outTime = killed.Elapsed;
        // And nothing is sent to it any more: every request is the first worker's.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("worker-first", await ServedByAsync(client));
        }

        output.WriteLine($"join: first request {joinTime.TotalMilliseconds:F0} ms after /health 200; kill: out of routing {outTime.TotalMilliseconds:F0} ms after SIGKILL");
    }

    [Fact]
    public async Task A_worker_stopped_with_SIGTERM_finishes_its_stream_takes_no_new_requests_and_leaves()
    {
        var model = TestPaths.Model(ClusterFixture.ModelFile);
        await using var redis = await LocalRedisServer.StartAsync();
        await using var one = ServiceProcess.StartWorker("worker-one", redis, model);
        await using var two = ServiceProcess.StartWorker("worker-two", redis, model);
        await Task.WhenAll(one.WaitHealthyAsync(), two.WaitHealthyAsync());
        await using var gateway = ServiceProcess.StartGateway(redis, ServiceProcess.WithoutResponseCache);
        await gateway.WaitHealthyAsync();
        var client = new InferenceClient(gateway.Channel);
        await Eventually.HoldsAsync(async () => await ReplicasAsync(client) == 2);

        // A long generation; the worker running it is the one stopped.
        const int Tokens = 1900;
        using var call = client.GenerateStream(new GenerateRequest { Prompt = "Once upon a time", MaxTokens = Tokens, IgnoreEos = true },
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60)));
        var chunks = call.ResponseStream.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await chunks.MoveNextAsync());
        var (leaving, staying) = await one.MetricAsync("slm_worker_active_sequences") > 0 ? (one, two) : (two, one);
        Assert.Equal(1, await leaving.MetricAsync("slm_worker_active_sequences"));
        var stream = DrainAsync(chunks);

        leaving.Terminate();
        var terminated = Stopwatch.StartNew();
        await Eventually.HoldsAsync(() => Task.FromResult(leaving.Output.Contains("is draining", StringComparison.Ordinal)));

        // While it drains, new requests go to the other worker.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(staying.Name, await ServedByAsync(client));
        }

        Assert.False(stream.IsCompleted, "the stream ended before the requests sent during the drain: the test proved nothing; make it longer");

        // The running stream completes, whole.
        var last = await stream;
        var streamEnded = terminated.Elapsed;
        Assert.Equal(Tokens, last.Usage.CompletionTokens);
        Assert.Equal(leaving.Name, last.Served.WorkerId);

        // Then the worker exits cleanly and is out of the cluster.
        Assert.Equal(0, await leaving.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        var exited = terminated.Elapsed;
        await Eventually.HoldsAsync(async () => await ReplicasAsync(client) == 1, seconds: 2);
        Assert.Equal(staying.Name, await ServedByAsync(client));
        output.WriteLine($"drain: stream ended {streamEnded.TotalMilliseconds:F0} ms after SIGTERM, process exited at {exited.TotalMilliseconds:F0} ms, " +
                         $"out of routing by {terminated.Elapsed.TotalMilliseconds:F0} ms");
    }

    private static async Task<GenerateChunk> DrainAsync(IAsyncEnumerator<GenerateChunk> chunks)
    {
        await using (chunks)
        {
            var last = chunks.Current;
            while (await chunks.MoveNextAsync())
            {
                last = chunks.Current;
            }

            return last;
        }
    }

    [Fact]
    public async Task The_cluster_survives_a_restart_of_its_Redis_and_a_worker_started_after_it_joins()
    {
        // Membership, the worker grain directory and the cache live in Redis; the product's Redis keeps them in an
        // append-only file, so a Redis that crashes and comes back still has the table silos join through.
        var model = TestPaths.Model(ClusterFixture.ModelFile);
        await using var redis = await LocalRedisServer.StartAsync(new LocalRedisOptions { Durable = true });
        await using var first = ServiceProcess.StartWorker("worker-first", redis, model);
        await first.WaitHealthyAsync();
        await using var gateway = ServiceProcess.StartGateway(redis, ServiceProcess.WithoutResponseCache);
        await gateway.WaitHealthyAsync();
        var client = new InferenceClient(gateway.Channel);
        Assert.Equal("worker-first", await ServedByAsync(client));

        await redis.KillAsync();
        // Routing is the gateway silo's view of membership, not a Redis read: the running worker keeps serving.
        Assert.Equal("worker-first", await ServedByAsync(client));
        await redis.RestartAsync();
        Assert.True(await redis.CountKeysAsync("*") > 0, "the restarted Redis came back empty");

        await using var later = ServiceProcess.StartWorker("worker-later", redis, model);
        await later.WaitHealthyAsync();
        await Eventually.HoldsAsync(async () => await ServedByAsync(client) == "worker-later");
        Assert.Equal(2, await ReplicasAsync(client));
    }

    [Fact]
    public async Task Silos_sent_SIGTERM_after_their_Redis_died_still_exit_within_their_shutdown_bound()
    {
        // A silo leaving writes its status to the membership table; with that Redis gone, Orleans retries each write
        // for about a minute and the processes took 122 s to exit. Each now has its host's shutdown timeout (the
        // worker's: its drain timeout + 10 s; the gateway's: set here) and 10 s more, then exits with code 1.
        var model = TestPaths.Model(ClusterFixture.ModelFile);
        await using var redis = await LocalRedisServer.StartAsync();
        await using var worker = ServiceProcess.StartWorker("worker-stranded", redis, model, "--Worker:DrainTimeout=00:00:01");
        await worker.WaitHealthyAsync();
        await using var gateway = ServiceProcess.StartGateway(redis, "--shutdownTimeoutSeconds=2");
        await gateway.WaitHealthyAsync();

        await redis.KillAsync();
        var stopping = Stopwatch.StartNew();
        worker.Terminate();
        gateway.Terminate();

        // Bounds: worker 1 + 10 + 10 = 21 s, gateway 2 + 10 = 12 s; the waits leave room for a loaded machine.
        Assert.Equal(1, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(1, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(60), $"the silos took {stopping.Elapsed.TotalSeconds:F0} s to exit");
        Assert.Contains("shutdown did not finish within 12 s", gateway.Output);
        Assert.Contains("shutdown did not finish within 21 s", worker.Output);
    }

    private static async Task<int> ReplicasAsync(InferenceClient client) =>
        (await client.ListModelsAsync(new ListModelsRequest(), Deadline())).Models.Sum(m => m.Replicas);

    private static async Task<string> ServedByAsync(InferenceClient client) =>
        (await client.GenerateAsync(new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 1 }, Deadline())).Served.WorkerId;

    private static CallOptions Deadline() => new(deadline: DateTime.UtcNow.AddSeconds(20));
}
