using Microsoft.Extensions.DependencyInjection;
using Orleans.Metadata;
using Orleans.Runtime;
using SlmCluster.Contracts;
using SlmCluster.GrainTests.Infrastructure;

namespace SlmCluster.GrainTests;

/// <summary>
/// A worker silo that dies takes its own grain with it and nothing else. Measured with the cluster's own grain
/// directory: a grain on a surviving silo whose directory entry the dead silo held was deactivated and made again.
/// The worker grains keep their entries in Redis, so no kill reaches them.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SurvivalTests(ClusterFixture fixture)
{
    private const int Rounds = 3;

    /// <summary>
    /// How long the surviving grains are watched after every survivor has the dead silo as dead. A silo deactivates the
    /// grains whose entries the dead silo held as soon as it applies that membership change, within milliseconds.
    /// </summary>
    private static readonly TimeSpan Watch = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Killing_a_worker_silo_leaves_every_grain_on_the_other_silos_activated_once()
    {
        await using var cluster = await WorkerCluster.StartAsync(fixture.Redis, workers: 3);
        for (var round = 1; round <= Rounds; round++)
        {
            var workers = cluster.Workers;
            // The kill that hurt: the silo the cluster's own directory would have given another worker grain's entry.
            var (victim, exposed) = Exposure(workers).FirstOrDefault((workers[0], null));
            var survivors = workers.Where(w => w != victim).ToList();
            var activations = survivors.ToDictionary(s => s, s => cluster.FindGrainContext(GrainId(s))
                ?? throw new InvalidOperationException($"The grain of {s} is not active before the kill."));

            await cluster.KillAsync(victim.Handle);

            var deactivated = Task.WhenAny(activations.Values.Select(a => a.Deactivated));
            if (await Task.WhenAny(deactivated, Task.Delay(Watch)) == deactivated)
            {
                Assert.Fail($"Round {round}: killing {victim} deactivated the grain of {activations.First(a => a.Value.Deactivated.IsCompleted).Key}.");
            }

            foreach (var survivor in survivors)
            {
                foreach (var caller in survivors)
                {
                    var status = await WorkerCluster.GrainsOn(caller.Handle).GetGrain<IModelWorkerGrain>(survivor.Key).GetStatus();
                    Assert.Equal(survivor.WorkerId, status.WorkerId);
                    Assert.True(status.Activations == 1,
                        $"Round {round}: after {victim} was killed{(exposed is null ? "" : $" (it would have held the entry of {exposed}'s grain)")}, {survivor} reports {status.Activations} activations of its grain.");
                }
            }

            if (round < Rounds)
            {
                await cluster.StartWorkerAsync();
            }
        }
    }

    /// <summary>The test above fails when the worker grain is registered in the cluster's own directory.</summary>
    [Fact]
    public async Task Without_the_Redis_directory_the_grain_whose_entry_the_dead_silo_held_is_activated_again()
    {
        await using var cluster = await WorkerCluster.StartAsync(fixture.Redis, workers: 3, inClusterWorkerDirectory: true);
        var manifest = cluster.Workers[0].Services.GetRequiredService<IClusterManifestProvider>().Current;
        Assert.All(manifest.AllGrainManifests, m =>
            Assert.DoesNotContain(WellKnownGrainTypeProperties.GrainDirectory, m.Grains[GrainType.Create(WorkerGrainKey.GrainType)].Properties.Keys));
        // With three silos some worker grain has its entry on another worker's silo, but not always: add silos until one does.
        while (!Exposure(cluster.Workers).Any() && cluster.Workers.Count < 6)
        {
            await cluster.StartWorkerAsync();
        }

        var (victim, exposed) = Exposure(cluster.Workers).First();
        await cluster.KillAsync(victim.Handle);

        var grain = WorkerCluster.GrainsOn(exposed!.Handle).GetGrain<IModelWorkerGrain>(exposed.Key);
        await WorkerCluster.WaitUntilAsync(
            async () => (await grain.GetStatus()).Activations == 2,
            $"the grain of {exposed} is activated again after {victim}, which held its entry, was killed");
    }

    /// <summary>
    /// Pairs of a worker silo and another worker whose grain's entry the cluster's own directory gives to that silo.
    /// </summary>
    private static IEnumerable<(WorkerSilo Victim, WorkerSilo? Exposed)> Exposure(IReadOnlyList<WorkerSilo> workers)
    {
        var silos = workers.Select(w => w.Handle.SiloAddress).ToList();
        foreach (var worker in workers)
        {
            var owner = InClusterDirectory.Owner(GrainId(worker), silos);
            if (!owner.Equals(worker.Handle.SiloAddress))
            {
                yield return (workers.Single(w => w.Handle.SiloAddress.Equals(owner)), worker);
            }
        }
    }

    private static GrainId GrainId(WorkerSilo worker) => Orleans.Runtime.GrainId.Create(WorkerGrainKey.GrainType, worker.Key);
}
