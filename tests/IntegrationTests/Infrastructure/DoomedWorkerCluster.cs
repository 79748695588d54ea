using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// Two worker silos, one of them to be killed, behind a gateway silo with no response cache: every answer comes
/// from a worker, so what a test sees after the kill is the cluster's handling of a dead worker.
/// </summary>
internal sealed class DoomedWorkerCluster : IAsyncDisposable
{
    private DoomedWorkerCluster(LocalRedisServer redis, ServiceProcess doomed, ServiceProcess survivor)
    {
        Redis = redis;
        Doomed = doomed;
        Survivor = survivor;
    }

    public LocalRedisServer Redis { get; }

    public ServiceProcess Doomed { get; }

    public ServiceProcess Survivor { get; }

    public ServiceProcess Gateway { get; private set; } = null!;

    public InferenceClient Client => new(Gateway.Channel);

    public static async Task<DoomedWorkerCluster> StartAsync()
    {
        var model = TestPaths.Model(ClusterFixture.ModelFile);
        var redis = await LocalRedisServer.StartAsync();
        var cluster = new DoomedWorkerCluster(redis,
            ServiceProcess.StartWorker("worker-doomed", redis, model), ServiceProcess.StartWorker("worker-survivor", redis, model));
        try
        {
            await Task.WhenAll(cluster.Doomed.WaitHealthyAsync(), cluster.Survivor.WaitHealthyAsync());
            cluster.Gateway = ServiceProcess.StartGateway(redis, ServiceProcess.WithoutResponseCache);
            await cluster.Gateway.WaitHealthyAsync();
            await Eventually.HoldsAsync(async () => (await cluster.Client.ListModelsAsync(new ListModelsRequest())).Models is [{ Replicas: 2 }]);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        await Doomed.DisposeAsync();
        await Survivor.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
