using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// One cluster for the shadow comparison: a worker on stories260K (small), one on TinyStories-656K (large), a held
/// reference endpoint standing in for a flagship (<see cref="HeldReferenceEndpoint"/>, behind an API key), and the
/// gateway under test, with a fixed sampling seed, shadows shed whenever any request is in flight at a worker
/// (<c>ShedWhenOutstandingOver=0</c>), and two targets, each shadowing every request (rate 1) one at a time:
/// <list type="bullet">
/// <item>the model <c>stories260K</c>, against the large model of the cluster;</item>
/// <item>the cascade route <c>auto</c> (small with an empty rule, then large), against the held endpoint.</item>
/// </list>
/// </summary>
public sealed class ShadowClusterFixture : IAsyncLifetime
{
    public const string SmallModel = "stories260K";
    public const string LargeModel = "tinystories-656k-q8_0";
    public const string Route = "auto";
    public const string FlagshipModel = "flagship-large";

    /// <summary>The reference's API key: sent by the gateway, never to be seen in its logs, metrics or dashboard.</summary>
    public const string ReferenceKey = "sk-shadow-reference-3f9a0c71d2";

    public const double InputPrice = 3;
    public const double OutputPrice = 15;

    internal LocalRedisServer Redis { get; private set; } = null!;

    internal ServiceProcess Small { get; private set; } = null!;

    internal ServiceProcess Large { get; private set; } = null!;

    internal HeldReferenceEndpoint Reference { get; private set; } = null!;

    internal ServiceProcess Gateway { get; private set; } = null!;

    public InferenceClient Client => new(Gateway.Channel);

    public async Task InitializeAsync()
    {
        Redis = await LocalRedisServer.StartAsync();
        Small = ServiceProcess.StartWorker("small-worker", Redis, TestPaths.Model(SmallModel + ".gguf"));
        Large = ServiceProcess.StartWorker("large-worker", Redis, TestPaths.Model(LargeModel + ".gguf"));
        Reference = await HeldReferenceEndpoint.StartAsync(ReferenceKey);
        Gateway = ServiceProcess.StartGateway(Redis, ServiceProcess.WithoutResponseCache,
            // Headers of the reference's calls are logged too, so the secret test would see a key that leaked there.
            "--Logging:LogLevel:System.Net.Http.HttpClient=Trace",
            "--Logging:LogLevel:SlmCluster.Gateway.Shadows=Debug",
            $"--Gateway:Cascade:Routes:{Route}:Tiers:0:Name=small", $"--Gateway:Cascade:Routes:{Route}:Tiers:0:Model={SmallModel}",
            $"--Gateway:Cascade:Routes:{Route}:Tiers:0:Accept=",
            $"--Gateway:Cascade:Routes:{Route}:Tiers:1:Name=large", $"--Gateway:Cascade:Routes:{Route}:Tiers:1:Model={LargeModel}",
            "--Gateway:Shadow:Seed=7",
            "--Gateway:Shadow:ShedWhenOutstandingOver=0",
            $"--Gateway:Shadow:Targets:{SmallModel}:Rate=1", $"--Gateway:Shadow:Targets:{SmallModel}:MaxConcurrent=1",
            $"--Gateway:Shadow:Targets:{SmallModel}:ReferenceModel={LargeModel}",
            $"--Gateway:Shadow:Targets:{Route}:Rate=1", $"--Gateway:Shadow:Targets:{Route}:MaxConcurrent=1",
            $"--Gateway:Shadow:Targets:{Route}:External:BaseUrl={Reference.BaseUrl}",
            $"--Gateway:Shadow:Targets:{Route}:External:Model={FlagshipModel}",
            $"--Gateway:Shadow:Targets:{Route}:External:ApiKey={ReferenceKey}",
            $"--Gateway:Shadow:Targets:{Route}:External:InputUsdPerMillionTokens={InputPrice}",
            $"--Gateway:Shadow:Targets:{Route}:External:OutputUsdPerMillionTokens={OutputPrice}");
        await Task.WhenAll(Small.WaitHealthyAsync(), Large.WaitHealthyAsync(), Gateway.WaitHealthyAsync());
        await Eventually.HoldsAsync(async () =>
        {
            var models = (await Client.ListModelsAsync(new ListModelsRequest())).Models;
            return models.Any(m => m.Id == SmallModel) && models.Any(m => m.Id == LargeModel);
        });
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Reference.DisposeAsync();
        await Small.DisposeAsync();
        await Large.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
