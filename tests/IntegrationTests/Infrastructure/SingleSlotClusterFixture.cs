using SlmCluster.Testing;
namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// One worker with one slot and room for one waiting request, behind its own gateway: small enough that tests can
/// fill it, and see whether a cancelled generation really left it.
/// </summary>
public sealed class SingleSlotClusterFixture : IAsyncLifetime
{
    internal LocalRedisServer Redis { get; private set; } = null!;

    internal ServiceProcess Worker { get; private set; } = null!;

    internal ServiceProcess Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await LocalRedisServer.StartAsync();
        Worker = ServiceProcess.StartWorker("worker-single", Redis, TestPaths.Model(ClusterFixture.ModelFile), "--Worker:Slots=1", "--Worker:MaxQueue=1");
        await Worker.WaitHealthyAsync();
        Gateway = ServiceProcess.StartGateway(Redis, ServiceProcess.WithoutResponseCache);
        await Gateway.WaitHealthyAsync();
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Worker.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
