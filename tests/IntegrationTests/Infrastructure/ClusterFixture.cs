using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// Two real worker silos serving stories260K (for generation and embeddings) and a real gateway silo in front of them,
/// shared by a test collection.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string ModelFile = "stories260K.gguf";
    public const string ModelId = "stories260K";

    /// <summary>The workers' option that makes them serve embeddings beside generation.</summary>
    public const string ServesBoth = "--Worker:Serves=both";

    internal LocalRedisServer Redis { get; private set; } = null!;

    internal ServiceProcess Worker0 { get; private set; } = null!;

    internal ServiceProcess Worker1 { get; private set; } = null!;

    internal ServiceProcess Gateway { get; private set; } = null!;

    public InferenceClient GatewayClient => new(Gateway.Channel);

    public async Task InitializeAsync()
    {
        var model = TestPaths.Model(ModelFile);
        Redis = await LocalRedisServer.StartAsync();
        Worker0 = ServiceProcess.StartWorker("worker-0", Redis, model, ServesBoth);
        Worker1 = ServiceProcess.StartWorker("worker-1", Redis, model, ServesBoth);
        await Task.WhenAll(Worker0.WaitHealthyAsync(), Worker1.WaitHealthyAsync());
        Gateway = ServiceProcess.StartGateway(Redis, ServiceProcess.WithoutResponseCache);
        await Gateway.WaitHealthyAsync();
        // Both workers in routing: tests count on two replicas.
        await Eventually.HoldsAsync(async () => (await GatewayClient.ListModelsAsync(new ListModelsRequest())).Models is [{ Replicas: 2 }]);
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Worker0.DisposeAsync();
        await Worker1.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
