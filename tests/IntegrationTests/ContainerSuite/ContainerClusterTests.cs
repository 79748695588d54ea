using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using Xunit.Abstractions;

namespace SlmCluster.IntegrationTests.ContainerSuite;

/// <summary>
/// The cluster in containers of the production images (<c>./build.sh test-containers</c>): what a caller sees from
/// outside its network, and when its hosts and links fail. Kept out of <c>./build.sh test</c> by its category.
/// </summary>
[Trait("Category", "Containers")]
[Collection(ContainerSuiteCollection.Name)]
public sealed class ContainerClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Both_front_doors_answer_from_outside_the_network_and_every_worker_serves()
    {
        await using var cluster = await ContainerCluster.StartAsync();
        var gateway = cluster.Gateways[0];
        var client = cluster.GrpcClient(gateway);

        var served = new HashSet<string>();
        for (var i = 0; served.Count < cluster.Workers.Count; i++)
        {
            Assert.True(i < 40, $"only {string.Join(", ", served)} answered 40 requests");
            var response = await client.GenerateAsync(new GenerateRequest { Prompt = $"Once upon a time {i}", MaxTokens = 4 },
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
            served.Add(response.Served.WorkerId);
        }

        using var openAi = new OpenAiHttpClient(cluster.HttpAddress(gateway));
        var completion = await openAi.PostAsync("v1/completions", """{"prompt":"Once upon a time","max_tokens":4}""");

        Assert.Equal(cluster.Workers.Select(w => w.Name).Order(StringComparer.Ordinal), served.Order(StringComparer.Ordinal));
        Assert.True(completion.Status == System.Net.HttpStatusCode.OK, completion.Text);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(completion.Text).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Every_service_runs_as_an_unprivileged_user_on_a_read_only_root_and_Redis_refuses_callers_without_the_password()
    {
        await using var cluster = await ContainerCluster.StartAsync(workers: 1);

        foreach (var host in cluster.Workers.Concat(cluster.Gateways))
        {
            var user = await host.Container.ExecAsync(["id", "-u"]);
            var write = await host.Container.ExecAsync(["touch", "/app/written"]);
            Assert.Equal("1654", user.Stdout.Trim());
            Assert.NotEqual(0, write.ExitCode);
            Assert.Contains("Read-only file system", write.Stderr);
        }

        var anonymous = await cluster.Redis.Container.ExecAsync(["redis-cli", "--no-auth-warning", "-a", "not-the-password", "ping"]);
        var redisUser = await cluster.Redis.Container.ExecAsync(["id", "-u"]);
        Assert.Contains("WRONGPASS", anonymous.Stdout + anonymous.Stderr);
        Assert.Equal("999", redisUser.Stdout.Trim());
    }

    [Fact]
    public async Task A_worker_cut_from_the_network_leaves_routing_fails_only_its_own_streams_and_serves_again_once_reconnected()
    {
        var cuts = int.TryParse(Environment.GetEnvironmentVariable("SLM_CONTAINER_CUTS"), out var n) ? n : 1;
        const int Callers = 4;
        await using var cluster = await ContainerCluster.StartAsync();
        var gateway = cluster.Gateways[0];
        var clock = Stopwatch.StartNew();
        var client = cluster.GrpcClient(gateway);
        await using var load = ClosedLoopLoad.Start(_ => client, Callers, maxTokens: 200, clock);
        var faults = new List<(string Worker, TimeSpan CutDone, TimeSpan Out, TimeSpan InFlightEnded, TimeSpan Back)>();

        for (var cut = 0; cut < cuts; cut++)
        {
            var victim = cluster.Workers[cut % cluster.Workers.Count];
            // Every worker is taking the load before each cut.
            var settled = clock.Elapsed;
            await Eventually.HoldsAsync(() => Task.FromResult(cluster.Workers.All(w => load.Outcomes.Any(o => o.Worker == w.Name && o.Started > settled))), seconds: 120);

            var from = clock.Elapsed;
            await victim.CutAsync();
            // A request sent before the engine had cut the link may have gone to the victim: it was under way there.
            var cutDone = clock.Elapsed;
            var outOfRouting = await Waiting.UntilAsync(async () => !(await cluster.RoutedWorkersAsync(gateway)).Contains(victim.Name), TimeSpan.FromSeconds(60));
            // The cut lasts until every stream under way at the cut has ended (those on the victim end when the cluster
            // declares its silo dead) and past the time a death declaration takes, so every cut meets the same path.
            var inFlightEnded = await Waiting.UntilAsync(() => Task.FromResult(load.AllEndedSince(cutDone, Callers)), TimeSpan.FromSeconds(85));
            await Eventually.HoldsAsync(() => Task.FromResult(clock.Elapsed - from > TimeSpan.FromSeconds(15)), seconds: 30, pollMilliseconds: 100);

            await victim.ReconnectAsync();
            var reconnected = clock.Elapsed;
            var backInRouting = await Waiting.UntilAsync(async () => (await cluster.RoutedWorkersAsync(gateway)).Contains(victim.Name), TimeSpan.FromSeconds(120));
            // It takes traffic again.
            await Eventually.HoldsAsync(() => Task.FromResult(load.Outcomes.Any(o => o.Worker == victim.Name && o.Started > reconnected)), seconds: 120);
            faults.Add((victim.Name, cutDone, outOfRouting, inFlightEnded, backInRouting));
            output.WriteLine($"cut {cut + 1} of {victim.Name}: out of routing after {outOfRouting.TotalMilliseconds:F0} ms, streams under way ended " +
                             $"{(outOfRouting + inFlightEnded).TotalMilliseconds:F0} ms after the cut, back in routing {backInRouting.TotalMilliseconds:F0} ms after reconnecting");
        }

        var outcomes = await load.StopAsync();
        var failed = outcomes.Where(o => o.Error is not null).ToArray();
        output.WriteLine($"over {faults.Count} cuts: out of routing median {Median(faults.Select(f => f.Out)):F0} ms, max {faults.Max(f => f.Out).TotalMilliseconds:F0} ms; " +
                         $"back in routing median {Median(faults.Select(f => f.Back)):F0} ms, max {faults.Max(f => f.Back).TotalMilliseconds:F0} ms");
        output.WriteLine($"{outcomes.Count} requests, {failed.Length} failed:\n  {string.Join("\n  ", failed.Select(f => f.ToString()))}");
        output.WriteLine($"restarts: {string.Join(", ", await Task.WhenAll(cluster.Workers.Select(async w => $"{w.Name} {await Waiting.RestartCountAsync(w)}")))}");

        // What fails is a stream under way on the cut worker when it was cut: UNAVAILABLE, naming it, after its first chunk.
        Assert.All(failed, f => Assert.True(
            faults.Any(fault => f.FailedMidwayOn(fault.Worker) && f.Started < fault.CutDone && f.Ended > fault.CutDone),
            $"a request that was not under way on a cut worker failed: {f}"));
        Assert.All(faults, t => Assert.True(t.Out < TimeSpan.FromSeconds(15), $"{t.Worker} left routing only after {t.Out}"));
    }

    private static double Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Select(v => v.TotalMilliseconds).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
