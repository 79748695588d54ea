using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// Two worker silos serving stories260K with two LoRA adapters written here (rank 8 on attn_q and attn_v) and one
/// that is not for this model, and a gateway with its response cache in front of them.
/// </summary>
public sealed class LoraClusterFixture : IAsyncLifetime
{
    public const string ModelId = ClusterFixture.ModelId;
    public const string Support = "support";
    public const string Legal = "legal";
    public const string Broken = "broken";
    public const string AdapterFirst = "legal-first";
    public const string AdapterLast = "support-last";

    private string _directory = "";

    internal LocalRedisServer Redis { get; private set; } = null!;

    internal ServiceProcess Worker0 { get; private set; } = null!;

    internal ServiceProcess Worker1 { get; private set; } = null!;

    internal ServiceProcess Gateway { get; private set; } = null!;

    public InferenceClient GatewayClient => new(Gateway.Channel);

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("slm-lora-").FullName;
        var model = TestPaths.Model(ClusterFixture.ModelFile);
        string Write(string name, LoraAdapterSpec spec)
        {
            var path = Path.Combine(_directory, name + ".gguf");
            GgufMetadataWriter.WriteLoraAdapter(model, path, spec);
            return path;
        }

        string[] adapters =
        [
            $"--Worker:Adapters:0:Name={Support}", $"--Worker:Adapters:0:Path={Write(Support, new LoraAdapterSpec { Seed = 5 })}",
            $"--Worker:Adapters:1:Name={Legal}", $"--Worker:Adapters:1:Path={Write(Legal, new LoraAdapterSpec { Seed = 6 })}",
            $"--Worker:Adapters:2:Name={Broken}", $"--Worker:Adapters:2:Path={Write(Broken, new LoraAdapterSpec { Architecture = "gpt2" })}",
        ];
        Redis = await LocalRedisServer.StartAsync();
        Worker0 = ServiceProcess.StartWorker("lora-worker-0", Redis, model, adapters);
        Worker1 = ServiceProcess.StartWorker("lora-worker-1", Redis, model, adapters);
        await Task.WhenAll(Worker0.WaitHealthyAsync(), Worker1.WaitHealthyAsync());
        // Cascade routes with an adapter as a tier: one that accepts the adapter's answer, one that escalates from the
        // base to the adapter (a mean log probability of 0 is never reached).
        string[] routes =
        [
            $"--Gateway:Cascade:Routes:{AdapterFirst}:Tiers:0:Model={Legal}", $"--Gateway:Cascade:Routes:{AdapterFirst}:Tiers:0:Accept:MinMeanLogprob=-1000",
            $"--Gateway:Cascade:Routes:{AdapterFirst}:Tiers:1:Model={ModelId}",
            $"--Gateway:Cascade:Routes:{AdapterLast}:Tiers:0:Model={ModelId}", $"--Gateway:Cascade:Routes:{AdapterLast}:Tiers:0:Accept:MinMeanLogprob=0",
            $"--Gateway:Cascade:Routes:{AdapterLast}:Tiers:1:Model={Support}",
        ];
        Gateway = ServiceProcess.StartGateway(Redis, routes);
        await Gateway.WaitHealthyAsync();
        // Both workers in routing, and their adapter files hashed (the cache keys them).
        await Eventually.HoldsAsync(async () => (await GatewayClient.ListModelsAsync(new ListModelsRequest())).Models
            .Count(m => m.Replicas == 2 && (m.Id == ModelId || m.FileSha256.Length > 0)) == 3);
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Worker0.DisposeAsync();
        await Worker1.DisposeAsync();
        await Redis.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class LoraClusterCollection : ICollectionFixture<LoraClusterFixture>
{
    public const string Name = "lora";
}
