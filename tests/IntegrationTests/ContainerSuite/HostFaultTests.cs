using System.Diagnostics;
using Grpc.Core;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using Xunit.Abstractions;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.ContainerSuite;

/// <summary>
/// Hosts of the container cluster frozen, lost, restarted or cut away: what callers of the gateway see meanwhile, and
/// that the cluster comes back whole without anyone restarting it by hand.
/// </summary>
[Trait("Category", "Containers")]
[Collection(ContainerSuiteCollection.Name)]
public sealed class HostFaultTests(ITestOutputHelper output)
{
    private const int Callers = 4;

    [Fact]
    public async Task A_paused_worker_leaves_routing_and_serves_again_when_unpaused_and_one_killed_while_paused_takes_only_its_own_streams()
    {
        await using var cluster = await ContainerCluster.StartAsync();
        var gateway = cluster.Gateways[0];
        var (first, second) = (cluster.Workers[0], cluster.Workers[1]);
        var clock = Stopwatch.StartNew();
        var client = cluster.GrpcClient(gateway);
        await using var load = ClosedLoopLoad.Start(_ => client, Callers, maxTokens: 200, clock);
        await WaitBothServeAsync(cluster, load, clock.Elapsed);

        // Frozen briefly (shorter than the cluster takes to declare a silo dead): out of routing, then back, the same process.
        await first.PauseAsync();
        var outWhilePaused = await Waiting.UntilAsync(async () => !(await cluster.RoutedWorkersAsync(gateway)).Contains(first.Name), TimeSpan.FromSeconds(30));
        await first.UnpauseAsync();
        var unpaused = clock.Elapsed;
        var backAfterUnpause = await Waiting.UntilAsync(async () => (await cluster.RoutedWorkersAsync(gateway)).Contains(first.Name), TimeSpan.FromSeconds(60));
        await Eventually.HoldsAsync(() => Task.FromResult(load.Outcomes.Any(o => o.Worker == first.Name && o.Started > unpaused)), seconds: 60);

        // Frozen again, then killed while frozen: a host lost with its connections left half-open.
        var paused = clock.Elapsed;
        await second.PauseAsync();
        await Waiting.UntilAsync(async () => !(await cluster.RoutedWorkersAsync(gateway)).Contains(second.Name), TimeSpan.FromSeconds(30));
        await second.KillAsync();
        var killedAt = clock.Elapsed;
        var inFlightEnded = await Waiting.UntilAsync(() => Task.FromResult(load.AllEndedSince(paused, Callers)), TimeSpan.FromSeconds(85));
        var afterwards = clock.Elapsed;
        await Eventually.HoldsAsync(() => Task.FromResult(load.Outcomes.Count(o => o.Started > afterwards) >= 8), seconds: 60);

        var outcomes = await load.StopAsync();
        var failed = outcomes.Where(o => o.Error is not null).ToArray();
        output.WriteLine($"paused: out of routing after {outWhilePaused.TotalMilliseconds:F0} ms, back {backAfterUnpause.TotalMilliseconds:F0} ms after unpausing; " +
                         $"killed {(killedAt - paused).TotalMilliseconds:F0} ms into a second pause: its streams ended {inFlightEnded.TotalMilliseconds:F0} ms after the kill");
        output.WriteLine($"{outcomes.Count} requests, {failed.Length} failed:\n  {string.Join("\n  ", failed.Select(f => f.ToString()))}");

        // The brief pause cost nothing: the same process came back (no restart), and its streams finished.
        Assert.Equal("0", await Waiting.RestartCountAsync(first));
        // Only streams under way on the killed worker failed, mid-way and named; everything after was the survivor's.
        Assert.All(failed, f => Assert.True(f.FailedMidwayOn(second.Name) && f.Started < paused, $"a request not under way on the killed worker failed: {f}"));
        Assert.All(outcomes.Where(o => o.Started > afterwards), o => Assert.Equal(first.Name, o.Worker));
    }

    [Fact]
    public async Task A_gateway_killed_and_started_again_answers_its_callers_on_the_same_channel_with_every_worker()
    {
        await using var cluster = await ContainerCluster.StartAsync();
        var gateway = cluster.Gateways[0];
        var client = cluster.GrpcClient(gateway);
        await GenerateAsync(client, "Before the gateway was lost");

        await gateway.KillAsync();
        var refused = await Assert.ThrowsAsync<RpcException>(() => GenerateAsync(client, "While it is gone", seconds: 10));
        await gateway.StartAsync();
        var restarted = Stopwatch.StartNew();

        // The caller keeps its channel: it reconnects by itself once the gateway listens again.
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                await GenerateAsync(client, "After the gateway came back", seconds: 10);
                return true;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                return false;
            }
        }, seconds: 120, pollMilliseconds: 200);
        var serving = restarted.Elapsed;
        // Membership settles: the gateway started again routes to every worker, and both answer.
        var settled = await cluster.WaitForRoutingAsync(gateway, cluster.Workers.Count, TimeSpan.FromSeconds(60));
        var answered = new HashSet<string>();
        for (var i = 0; answered.Count < cluster.Workers.Count; i++)
        {
            Assert.True(i < 40, $"only {string.Join(", ", answered)} answered 40 requests");
            answered.Add((await GenerateAsync(client, $"Once upon a time {i}")).Served.WorkerId);
        }

        output.WriteLine($"while it was gone: {refused.StatusCode}; serving again {serving.TotalMilliseconds:F0} ms after the start, every worker routed by then or {settled.TotalMilliseconds:F0} ms later");
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Equal("0", await Waiting.RestartCountAsync(cluster.Workers[0]));
        Assert.Equal("0", await Waiting.RestartCountAsync(cluster.Workers[1]));
    }

    [Fact]
    public async Task With_Redis_killed_every_request_is_answered_and_when_it_returns_it_caches_again_and_a_worker_can_rejoin()
    {
        await using var cluster = await ContainerCluster.StartAsync();
        var gateway = cluster.Gateways[0];
        var client = cluster.GrpcClient(gateway);
        await GenerateAsync(client, "Once upon a time there was a cat");
        await Eventually.HoldsAsync(async () => await CacheKeysAsync(cluster) > 0);

        await cluster.Redis.KillAsync();
        var down = Stopwatch.StartNew();
        var answered = 0;
        for (var i = 0; i < 20 || down.Elapsed < TimeSpan.FromSeconds(5); i++)
        {
            var response = await GenerateAsync(client, $"Once upon a time there was a dog number {i}");
            Assert.False(response.Served.CacheHit);
            answered++;
        }

        var withoutRedis = down.Elapsed;

        // Back with its data (the append-only file on its volume, as the manifests keep it): membership is there.
        await cluster.Redis.StartAsync();
        var before = await CacheKeysAsync(cluster);
        await Eventually.HoldsAsync(async () =>
        {
            await GenerateAsync(client, $"Once upon a time there was a bird {Guid.NewGuid():N}");
            return await CacheKeysAsync(cluster) > before;
        }, seconds: 60, pollMilliseconds: 500);

        // A worker lost now joins again through the returned Redis, and serves.
        var rejoining = cluster.Workers[1];
        await rejoining.KillAsync();
        await cluster.WaitForRoutingAsync(gateway, 1, TimeSpan.FromSeconds(60));
        var starting = Stopwatch.StartNew();
        await rejoining.StartAsync();
        await cluster.WaitForRoutingAsync(gateway, 2, TimeSpan.FromSeconds(90));
        var rejoined = starting.Elapsed;
        var servedBy = new HashSet<string>();
        for (var i = 0; !servedBy.Contains(rejoining.Name); i++)
        {
            Assert.True(i < 40, $"{rejoining.Name} answered none of 40 requests");
            servedBy.Add((await GenerateAsync(client, $"After Redis came back {i}")).Served.WorkerId);
        }

        output.WriteLine($"{answered} requests answered in {withoutRedis.TotalSeconds:F1} s without Redis; the killed worker routed again {rejoined.TotalMilliseconds:F0} ms after it was started (process start and model load included)");
    }

    [Fact]
    public async Task With_two_gateways_one_partitioned_away_the_other_serves_every_model_and_the_lost_one_rejoins()
    {
        await using var cluster = await ContainerCluster.StartAsync(workers: 2, gateways: 2);
        var (staying, leaving) = (cluster.Gateways[0], cluster.Gateways[1]);
        var clock = Stopwatch.StartNew();
        var client = cluster.GrpcClient(staying);
        var models = (await client.ListModelsAsync(new ListModelsRequest())).Models.Select(m => m.Id).ToArray();
        await using var load = ClosedLoopLoad.Start(_ => client, Callers, maxTokens: 100, clock);

        var cut = clock.Elapsed;
        await leaving.CutAsync();
        // Away long enough for the cluster to declare it dead (about 10 s measured, docs/deploy.md); the other gateway
        // serves on with every worker and model meanwhile.
        await Eventually.HoldsAsync(() => Task.FromResult(load.Outcomes.Count(o => o.Started > cut) >= 20 && clock.Elapsed - cut > TimeSpan.FromSeconds(20)), seconds: 90);
        var during = (await client.ListModelsAsync(new ListModelsRequest())).Models.Select(m => m.Id).ToArray();
        Assert.Equal(cluster.Workers.Select(w => w.Name).Order(StringComparer.Ordinal), await cluster.RoutedWorkersAsync(staying));

        await leaving.ReconnectAsync();
        var reconnected = Stopwatch.StartNew();
        // Declared dead while it was away, the lost gateway stops; the engine starts it again and it serves.
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                return (await cluster.RoutedWorkersAsync(leaving)).Count == cluster.Workers.Count;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, seconds: 120, pollMilliseconds: 200);
        var back = reconnected.Elapsed;
        await GenerateAsync(cluster.GrpcClient(leaving), "Through the gateway that came back");

        var outcomes = await load.StopAsync();
        output.WriteLine($"{outcomes.Count} requests through the staying gateway, {outcomes.Count(o => o.Error is not null)} failed; the lost one served again {back.TotalMilliseconds:F0} ms after reconnecting (restarts: {await Waiting.RestartCountAsync(leaving)})");
        Assert.NotEmpty(models);
        Assert.Equal(models, during);
        Assert.All(outcomes, o => Assert.True(o.Error is null, $"a request through the staying gateway failed: {o}"));
    }

    private static async Task WaitBothServeAsync(ContainerCluster cluster, ClosedLoopLoad load, TimeSpan since) =>
        await Eventually.HoldsAsync(() => Task.FromResult(cluster.Workers.All(w => load.Outcomes.Any(o => o.Worker == w.Name && o.Started > since))), seconds: 120);

    private static async Task<long> CacheKeysAsync(ContainerCluster cluster)
    {
        var keys = await cluster.Redis.Container.ExecAsync(["redis-cli", "--no-auth-warning", "--scan", "--pattern", "slm:cache:v1:*"]);
        return keys.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LongLength;
    }

    private static async Task<GenerateResponse> GenerateAsync(InferenceClient client, string prompt, int seconds = 30) =>
        await client.GenerateAsync(new GenerateRequest { Prompt = prompt, MaxTokens = 8 }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(seconds)));
}
