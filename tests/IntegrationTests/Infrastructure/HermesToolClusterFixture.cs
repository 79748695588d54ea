using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// One worker silo serving a copy of stories260K whose GGUF carries a Hermes/Qwen-style chat template (made here, see
/// <see cref="HermesTemplateModel"/>), and a gateway in front of it: the cluster of the native tool format's tests.
/// </summary>
public sealed class HermesToolClusterFixture : IAsyncLifetime
{
    public const string ModelId = "stories260K-hermes";

    private string _directory = "";

    internal LocalRedisServer Redis { get; private set; } = null!;

    internal ServiceProcess Worker { get; private set; } = null!;

    internal ServiceProcess Gateway { get; private set; } = null!;

    public InferenceClient GatewayClient => new(Gateway.Channel);

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("slm-hermes-").FullName;
        var model = Path.Combine(_directory, ModelId + ".gguf");
        HermesTemplateModel.Write(TestPaths.Model(ClusterFixture.ModelFile), model);
        Redis = await LocalRedisServer.StartAsync();
        Worker = ServiceProcess.StartWorker("hermes-worker", Redis, model);
        await Worker.WaitHealthyAsync();
        Gateway = ServiceProcess.StartGateway(Redis, ServiceProcess.WithoutResponseCache);
        await Gateway.WaitHealthyAsync();
        await Eventually.HoldsAsync(async () => (await GatewayClient.ListModelsAsync(new ListModelsRequest())).Models is [{ Replicas: 1 }]);
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Worker.DisposeAsync();
        await Redis.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class HermesToolClusterCollection : ICollectionFixture<HermesToolClusterFixture>
{
    public const string Name = "hermes-tools";
}
