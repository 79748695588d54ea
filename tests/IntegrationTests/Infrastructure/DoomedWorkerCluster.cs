using Grpc.Core;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// Two workers, one of them to be killed, behind a gateway whose health probes are a minute apart:
/// what happens next is the gateway's handling of failed calls, not its probing.
/// </summary>
internal sealed class DoomedWorkerCluster : IAsyncDisposable
{
    private DoomedWorkerCluster(ServiceProcess doomed, ServiceProcess survivor, ServiceProcess gateway)
    {
        Doomed = doomed;
        Survivor = survivor;
        Gateway = gateway;
    }

    public ServiceProcess Doomed { get; }

    public ServiceProcess Survivor { get; }

    public ServiceProcess Gateway { get; }

    public InferenceClient Client => new(Gateway.Channel);

    public static async Task<DoomedWorkerCluster> StartAsync()
    {
        var model = TestPaths.Model(ClusterFixture.ModelFile);
        var doomed = ServiceProcess.StartWorker("worker-doomed", model);
        var survivor = ServiceProcess.StartWorker("worker-survivor", model);
        await Task.WhenAll(doomed.WaitHealthyAsync(), survivor.WaitHealthyAsync());
        var gateway = ServiceProcess.StartGateway([doomed.GrpcAddress, survivor.GrpcAddress], "--Gateway:HealthCheckInterval=00:01:00");
        await gateway.WaitHealthyAsync();
        return new DoomedWorkerCluster(doomed, survivor, gateway);
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Doomed.DisposeAsync();
        await Survivor.DisposeAsync();
    }
}
