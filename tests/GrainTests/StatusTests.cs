using SlmCluster.Contracts;
using SlmCluster.GrainTests.Infrastructure;
using SlmCluster.Settings;

namespace SlmCluster.GrainTests;

/// <summary>What a worker grain reports for routing.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StatusTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Status_reports_the_model_the_slots_and_one_activation_of_a_serving_worker()
    {
        var cluster = await fixture.SharedClusterAsync();
        var worker = cluster.Workers[0];

        var status = await WorkerCluster.GrainsOn(cluster.Workers[1].Handle).GetGrain<IModelWorkerGrain>(worker.Key).GetStatus();

        Assert.Equal(worker.WorkerId, status.WorkerId);
        Assert.Equal(TestModels.Stories260KId, status.Model.Id);
        Assert.Equal("llama", status.Model.Architecture);
        Assert.True(status.Model.ContextLength > 0, "the model's context length is reported");
        Assert.Equal(2, status.Slots);
        Assert.Equal(ClusterSettings.Devices.Cpu, status.Device);
        Assert.False(status.Draining);
        Assert.Equal(1, status.Activations);
    }
}
