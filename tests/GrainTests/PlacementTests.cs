using System.Net;
using Orleans.Runtime;
using SlmCluster.Contracts;
using SlmCluster.GrainTests.Infrastructure;

namespace SlmCluster.GrainTests;

/// <summary>The model grain lives on the silo its key names, and nowhere else.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PlacementTests(ClusterFixture fixture)
{
    [Fact]
    public async Task The_grain_keyed_by_a_silo_is_activated_on_that_silo_whichever_silo_calls_it()
    {
        var cluster = await fixture.SharedClusterAsync();
        foreach (var target in cluster.Workers)
        {
            foreach (var caller in cluster.Workers)
            {
                var grain = WorkerCluster.GrainsOn(caller.Handle).GetGrain<IModelWorkerGrain>(target.Key);

                var status = await grain.GetStatus();

                Assert.Equal(target.WorkerId, status.WorkerId);
                Assert.Equal(target.Handle.SiloAddress, cluster.FindActivation(grain.GetGrainId()));
            }
        }

        // One activation per silo: its own grain, none for another silo's key.
        Assert.All(cluster.Workers, w => Assert.Equal(1, w.Activations));
    }

    [Fact]
    public async Task A_key_naming_a_silo_outside_the_cluster_fails_and_activates_nothing()
    {
        var cluster = await fixture.SharedClusterAsync();
        var absent = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 1), 1).ToParsableString();
        var grain = WorkerCluster.GrainsOn(cluster.Workers[0].Handle).GetGrain<IModelWorkerGrain>(absent);

        var error = await Assert.ThrowsAsync<SiloUnavailableException>(grain.GetStatus);

        Assert.Contains("not an active silo", error.Message, StringComparison.Ordinal);
        Assert.Contains(absent.Split('@')[0], error.Message, StringComparison.Ordinal);
        Assert.Null(cluster.FindActivation(grain.GetGrainId()));
        Assert.All(cluster.Workers, w => Assert.Equal(1, w.Activations));
    }

    [Fact]
    public async Task A_key_that_is_not_a_silo_address_fails_saying_so()
    {
        var cluster = await fixture.SharedClusterAsync();
        var grain = WorkerCluster.GrainsOn(cluster.Workers[0].Handle).GetGrain<IModelWorkerGrain>("not-a-silo");

        var error = await Assert.ThrowsAnyAsync<OrleansException>(grain.GetStatus);

        Assert.Contains("'not-a-silo' is not a silo address", error.Message, StringComparison.Ordinal);
        Assert.Null(cluster.FindActivation(grain.GetGrainId()));
        Assert.All(cluster.Workers, w => Assert.Equal(1, w.Activations));
    }
}
