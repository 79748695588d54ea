using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// One cluster for the cascade tests: a worker silo on stories260K (the small tier), one on TinyStories-656K (the
/// large tier), a second gateway of the cluster that stands in for an external provider (its OpenAI API, behind an API
/// key, serving the large model), a socket that accepts and never answers (a stuck provider), and the gateway under
/// test, with its response cache on and these routes:
/// <list type="bullet">
/// <item><c>anyok</c>: small with an empty rule (accepts any answer), then the external tier.</item>
/// <item><c>confident</c>: small with thresholds any real answer meets (-1000), then large. Needs the workers' logprobs.</item>
/// <item><c>escalate</c>: small with a threshold no answer meets (mean above 0), then large.</item>
/// <item><c>long</c>: small with an empty rule, skipped for prompts over 24 of its tokens, then large.</item>
/// <item><c>external</c>: small always escalating, then the external tier.</item>
/// <item><c>badkey</c>: as external, with a key the provider refuses.</item>
/// <item><c>tools</c>: small with thresholds any real answer meets, then small again (<c>small-again</c>): tool calls, judged by their shape.</item>
/// <item><c>hang</c> / <c>hang-fallback</c>: small always escalating, then the stuck provider with a 2 s timeout; the
/// second answers with the small tier's text when it times out (BestLowerTier).</item>
/// </list>
/// </summary>
public sealed class CascadeClusterFixture : IAsyncLifetime
{
    public const string SmallModel = "stories260K";
    public const string LargeModel = "tinystories-656k-q8_0";

    /// <summary>The provider's API key: sent by the gateway under test, and never to be seen in its logs, metrics or answers.</summary>
    public const string ProviderKey = "sk-cascade-provider-7d1e4b90c2";

    /// <summary>A key the provider refuses.</summary>
    public const string WrongKey = "sk-cascade-wrong-55aa13f0e9";

    public static readonly TimeSpan HangTimeout = TimeSpan.FromSeconds(2);

    /// <summary>USD per million tokens in and out at the external tier.</summary>
    public const double InputPrice = 2.5;
    public const double OutputPrice = 10;

    public const int LongPromptTokens = 24;

    internal LocalRedisServer Redis { get; private set; } = null!;

    internal ServiceProcess Small { get; private set; } = null!;

    internal ServiceProcess Large { get; private set; } = null!;

    /// <summary>The external tier's endpoint: a gateway of the same cluster, reached over its OpenAI HTTP API.</summary>
    internal ServiceProcess Provider { get; private set; } = null!;

    internal SilentEndpoint Stuck { get; private set; } = null!;

    internal ServiceProcess Gateway { get; private set; } = null!;

    public InferenceClient Client => new(Gateway.Channel);

    public async Task InitializeAsync()
    {
        Redis = await LocalRedisServer.StartAsync();
        Small = ServiceProcess.StartWorker("small-worker", Redis, TestPaths.Model(SmallModel + ".gguf"));
        Large = ServiceProcess.StartWorker("large-worker", Redis, TestPaths.Model(LargeModel + ".gguf"));
        Provider = ServiceProcess.StartGateway(Redis, ServiceProcess.WithoutResponseCache,
            "--Gateway:ApiKeys:0:Tenant=cascade", $"--Gateway:ApiKeys:0:KeySha256={Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ProviderKey)))}");
        Stuck = new SilentEndpoint();
        var provider = new Uri(Provider.HttpAddress, "v1").ToString();
        Gateway = ServiceProcess.StartGateway(Redis, [
            // Headers of the external calls are logged too, so the secret test would see a key that leaked there.
            "--Logging:LogLevel:System.Net.Http.HttpClient=Trace",
            .. Route("anyok", Judged(SmallModel, accept: null), External(provider, ProviderKey)),
            .. Route("confident", Judged(SmallModel, accept: ("-1000", "-1000")), Model("large", LargeModel)),
            .. Route("escalate", Judged(SmallModel, accept: ("1", null)), Model("large", LargeModel)),
            .. Route("long", [.. Judged(SmallModel, accept: null), $"SkipWhenPromptTokensOver={LongPromptTokens}"], Model("large", LargeModel)),
            .. Route("external", Judged(SmallModel, accept: ("1", null)), External(provider, ProviderKey)),
            .. Route("tools", Judged(SmallModel, accept: ("-1000", "-1000")), Model("small-again", SmallModel)),
            .. Route("badkey", Judged(SmallModel, accept: ("1", null)), External(provider, WrongKey)),
            .. Route("hang", Judged(SmallModel, accept: ("1", null)), External(Stuck.BaseUrl, ProviderKey, HangTimeout)),
            .. Route("hang-fallback", Judged(SmallModel, accept: ("1", null)), External(Stuck.BaseUrl, ProviderKey, HangTimeout)),
            "--Gateway:Cascade:Routes:hang-fallback:OnLastTierFailure=BestLowerTier",
        ]);
        await Task.WhenAll(Small.WaitHealthyAsync(), Large.WaitHealthyAsync(), Provider.WaitHealthyAsync(), Gateway.WaitHealthyAsync());
        var providerClient = new InferenceClient(Provider.Channel);
        var auth = new Metadata { { "authorization", "Bearer " + ProviderKey } };
        await Eventually.HoldsAsync(async () =>
            Serves(await Client.ListModelsAsync(new ListModelsRequest())) && Serves(await providerClient.ListModelsAsync(new ListModelsRequest(), auth)));
    }

    private static bool Serves(ListModelsResponse models) =>
        models.Models.Any(m => m.Id == SmallModel && m.Replicas == 1) && models.Models.Any(m => m.Id == LargeModel && m.Replicas == 1);

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Provider.DisposeAsync();
        await Stuck.DisposeAsync();
        await Small.DisposeAsync();
        await Large.DisposeAsync();
        await Redis.DisposeAsync();
    }

    /// <summary>Command-line settings of a route: each tier's settings under <c>Tiers:i</c>.</summary>
    private static IEnumerable<string> Route(string name, params string[][] tiers) =>
        tiers.SelectMany((settings, i) => settings.Select(setting => $"--Gateway:Cascade:Routes:{name}:Tiers:{i}:{setting}"));

    /// <summary>The small tier with its rule: null is the empty rule (accepts any answer), else the mean and token thresholds.</summary>
    private static string[] Judged(string model, (string? Mean, string? Token)? accept) => accept switch
    {
        null => ["Name=small", $"Model={model}", "Accept="],
        var (mean, token) => ["Name=small", $"Model={model}",
            .. mean is null ? Array.Empty<string>() : [$"Accept:MinMeanLogprob={mean}"],
            .. token is null ? Array.Empty<string>() : [$"Accept:MinTokenLogprob={token}"]],
    };

    private static string[] Model(string name, string model) => [$"Name={name}", $"Model={model}"];

    private static string[] External(string baseUrl, string apiKey, TimeSpan? timeout = null) =>
    [
        "Name=flagship", $"External:BaseUrl={baseUrl}", $"External:Model={LargeModel}", $"External:ApiKey={apiKey}",
        $"External:InputUsdPerMillionTokens={InputPrice}", $"External:OutputUsdPerMillionTokens={OutputPrice}",
        $"External:Timeout={timeout ?? TimeSpan.FromSeconds(30)}",
    ];
}
