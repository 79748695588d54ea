using Microsoft.Extensions.DependencyInjection;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Routing;
using SlmCluster.GrainTests.Infrastructure;
using SlmCluster.Settings;

namespace SlmCluster.GrainTests;

/// <summary>The front door's view of the workers, kept by its <see cref="WorkerDirectory"/> from the cluster, on a gateway silo with no model.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RoutingTests(ClusterFixture fixture)
{
    private static readonly RouteRequest Stories = new(TestModels.Stories260KId, SessionKey: "", PrefixKey: 0);

    [Fact]
    public async Task The_pool_holds_every_worker_silo_loses_a_killed_one_and_gains_one_that_joins()
    {
        await using var cluster = await WorkerCluster.StartAsync(fixture.Redis, workers: 2, gateway: true);
        var gateway = cluster.Gateway.ServiceProvider;
        var pool = gateway.GetRequiredService<WorkerPool>();
        var router = gateway.GetRequiredService<IWorkerRouter>();

        // Every worker silo, with what it serves; not the gateway, which hosts no worker grain.
        await WorkerCluster.WaitUntilAsync(() => cluster.Workers.All(w => Routable(pool, w)), "the pool holds both workers, routable");
        Assert.Equal(2, pool.Workers.Count);
        Assert.Null(pool.Find(cluster.Gateway.SiloAddress.ToParsableString()));
        foreach (var endpoint in pool.Workers)
        {
            Assert.Equal(TestModels.Stories260KId, Assert.Single(endpoint.Models).Id);
            Assert.Equal(2, endpoint.Slots);
            Assert.Equal(ClusterSettings.Devices.Cpu, endpoint.Device);
        }

        // Least outstanding: with a request held on one worker, the next goes to the other; calls reach that worker.
        await AssertSpreadsOverAsync(router, cluster.Workers);

        // A killed worker leaves the pool, and nothing is routed to it.
        var victim = cluster.Workers[0];
        var kill = cluster.KillAsync(victim.Handle);
        await WorkerCluster.WaitUntilAsync(() => pool.Find(victim.Key) is null, $"the killed {victim} leaves the pool");
        await kill;
        for (var i = 0; i < 10; i++)
        {
            using var lease = router.Acquire(Stories, []) ?? throw new InvalidOperationException("No worker is routable after the kill.");
            Assert.NotEqual(victim.Key, lease.Worker.Key);
        }

        // A worker started later joins the pool and takes requests.
        var joined = await cluster.StartWorkerAsync();
        await WorkerCluster.WaitUntilAsync(() => Routable(pool, joined), $"{joined} joins the pool");
        Assert.Equal(2, pool.Workers.Count);
        await AssertSpreadsOverAsync(router, cluster.Workers);
    }

    private static bool Routable(WorkerPool pool, WorkerSilo worker) =>
        pool.Find(worker.Key) is { IsRoutable: true } endpoint && endpoint.WorkerId == worker.WorkerId && endpoint.Serves(TestModels.Stories260KId);

    /// <summary>Two requests held at once go to the two workers; each generates on the worker it was routed to.</summary>
    private static async Task AssertSpreadsOverAsync(IWorkerRouter router, IReadOnlyList<WorkerSilo> workers)
    {
        using var first = router.Acquire(Stories, []) ?? throw new InvalidOperationException("No worker is routable.");
        using var second = router.Acquire(Stories, []) ?? throw new InvalidOperationException("No second worker is routable.");
        Assert.NotEqual(first.Worker.Key, second.Worker.Key);
        Assert.Equal(workers.Select(w => w.Key).Order(), new[] { first.Worker.Key, second.Worker.Key }.Order());
        foreach (var endpoint in new[] { first.Worker, second.Worker })
        {
            GenerationSummary? summary = null;
            await foreach (var piece in endpoint.Grain.Generate(new GenerationCall { Model = TestModels.Stories260KId, Prompt = "Once upon a time", MaxTokens = 4, IgnoreEndOfSequence = true }))
            {
                summary = piece.Summary ?? summary;
            }

            Assert.Equal(endpoint.WorkerId, summary?.WorkerId);
        }
    }
}
