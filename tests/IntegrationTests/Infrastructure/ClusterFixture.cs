using Grpc.Core;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>Two real workers serving stories260K and a real gateway in front of them, shared by a test collection.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string ModelFile = "stories260K.gguf";
    public const string ModelId = "stories260K";

    internal ServiceProcess Worker0 { get; private set; } = null!;

    internal ServiceProcess Worker1 { get; private set; } = null!;

    internal ServiceProcess Gateway { get; private set; } = null!;

    public InferenceClient GatewayClient => new(Gateway.Channel);

    public InferenceClient WorkerClient => new(Worker0.Channel);

    public async Task InitializeAsync()
    {
        var model = TestPaths.Model(ModelFile);
        Worker0 = ServiceProcess.StartWorker("worker-0", model);
        Worker1 = ServiceProcess.StartWorker("worker-1", model);
        await Task.WhenAll(Worker0.WaitHealthyAsync(), Worker1.WaitHealthyAsync());
        Gateway = ServiceProcess.StartGateway([Worker0.GrpcAddress, Worker1.GrpcAddress]);
        await Gateway.WaitHealthyAsync();
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Worker0.DisposeAsync();
        await Worker1.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
