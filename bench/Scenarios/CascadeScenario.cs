using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using SlmCluster.Bench.Cluster;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Bench.Scenarios;

/// <summary>
/// A cascade route over a fixed prompt set: which tier answers how often, what the answers cost against sending
/// every request to the route's last tier (a flagship API at list prices), and the latency judging adds.
/// </summary>
internal static class CascadeScenario
{
    private const string Route = "auto";
    private const int Tokens = 32;

    /// <summary>The flagship's list prices (USD per million input and output tokens), those of the gateway's default reference API.</summary>
    private const double FlagshipInput = 2.50, FlagshipOutput = 15.00;

    /// <summary>Greedy answers of the small model score -0.22 to -0.72 after story openings, -0.78 to -0.92 after other text; the large one's -1.24 to -1.34 and -1.36 to -1.85.</summary>
    private const double SmallThreshold = -0.75, LargeThreshold = -1.35;

    /// <summary>
    /// Story openings, which the small TinyStories model continues with confidence, and text from elsewhere, which it
    /// does not; letters and punctuation both vocabularies encode.
    /// </summary>
    private static readonly string[] PromptSet =
    [
        "Once upon a time", "Once upon a time there was a little girl named Lily.", "Tom and his dog went to the park.",
        "One day, a big bear", "Lily wanted to play with her ball", "The little bird sang a song.", "Once upon a time there was a boy named Tim.",
        "Sue had a red hat.", "Max the cat liked to sleep in the sun.", "Once upon a time, in a small house,", "Ben and Mia played in the garden.",
        "The dog was happy.",
        "Quantum chromodynamics describes", "The mitochondrial electron transport chain", "In 1848 the revolutions across Europe",
        "Photosynthesis converts light energy", "The stock market fell sharply after", "Compute the eigenvalues of the matrix",
        "The committee approved the budget amendment", "Relational databases normalize tables", "The treaty was ratified by parliament",
        "Inflation expectations rose as the central bank", "The compiler emits an intermediate representation", "Plate tectonics explains",
    ];

    public static async Task RunAsync(BenchContext context)
    {
        var s = context.Settings;
        var large = Path.Combine(Path.GetDirectoryName(s.SmallModelPath)!, "tinystories-656k-q8_0.gguf");
        Console.WriteLine($"scenario cascade: route '{Route}' = {Path.GetFileName(s.SmallModelPath)} (mean logprob >= {SmallThreshold}) -> " +
            $"{Path.GetFileName(large)} (>= {LargeThreshold}) -> a flagship at ${FlagshipInput}/${FlagshipOutput} per M tokens; {PromptSet.Length} prompts, {Tokens} greedy tokens");
        var httpPort = BenchCluster.FreePort();
        var tiers = $"{ClusterSettings.Keys.Gateway.CascadeRoute(Route)}__Tiers";
        var gateway = new Dictionary<string, string>
        {
            [$"{tiers}__0__Name"] = "small",
            [$"{tiers}__0__Model"] = Path.GetFileNameWithoutExtension(s.SmallModelPath),
            [$"{tiers}__0__Accept__MinMeanLogprob"] = Invariant(SmallThreshold),
            [$"{tiers}__1__Name"] = "large",
            [$"{tiers}__1__Model"] = Path.GetFileNameWithoutExtension(large),
            [$"{tiers}__1__Accept__MinMeanLogprob"] = Invariant(LargeThreshold),
            // The flagship stands in as an OpenAI-compatible endpoint: this gateway's own OpenAI API, asked for the large
            // model and billed at the flagship's list prices.
            [$"{tiers}__2__Name"] = "flagship",
            [$"{tiers}__2__External__Model"] = Path.GetFileNameWithoutExtension(large),
            [$"{tiers}__2__External__ApiKey"] = "bench-not-a-secret",
            [$"{tiers}__2__External__InputUsdPerMillionTokens"] = Invariant(FlagshipInput),
            [$"{tiers}__2__External__OutputUsdPerMillionTokens"] = Invariant(FlagshipOutput),
        };
        await using var cluster = new BenchCluster(new BenchClusterOptions(s.SmallModelPath, 1, 1, 4, CorePlacement.Unpinned,
            MoreModels: [large], GatewayEnvironment: gateway, ExternalSelfPath: $"{tiers}__2__External__BaseUrl"));
        await cluster.StartAsync(CancellationToken.None);
        using var channel = GrpcChannel.ForAddress(cluster.GatewayGrpc);
        var client = new Protocol.V1.Inference.InferenceClient(channel);

        // Warm every path once.
        await UnaryAsync(client, Route, "Once upon a time there was a warm-up");

        var served = new List<CascadeServed>();
        foreach (var prompt in PromptSet)
        {
            var (answer, _) = await UnaryAsync(client, Route, prompt);
            served.Add(answer.Served.Cascade);
        }

        var cost = served.Sum(c => c.Attempts.Sum(a => a.CostUsd));
        var lastTier = served.Sum(c => c.LastTierCostUsd);
        foreach (var group in served.GroupBy(c => (c.Tier, c.TierName)).OrderBy(g => g.Key.Tier))
        {
            context.Note($"cascade: tier {group.Key.Tier} ({group.Key.TierName}) answered {group.Count()} of {served.Count} ({100.0 * group.Count() / served.Count:F0} %)");
        }

        context.Note($"cascade: cost of the {served.Count} answers ${cost:G4} against ${lastTier:G4} with every request on the flagship alone: " +
            $"{cost / lastTier:F3} x ({100 * (1 - cost / lastTier):F1} % saved); escalated {served.Count(c => c.Escalated)} of {served.Count}");

        // What judging adds: the prompts the small tier accepts, alternately through the route and straight to its model.
        var accepted = PromptSet.Where((_, i) => served[i].Tier == 1).ToArray();
        if (accepted.Length == 0)
        {
            context.Note("cascade: no prompt was accepted by the first tier; judging latency not measured");
            return;
        }

        var small = Path.GetFileNameWithoutExtension(s.SmallModelPath);
        var pairs = Math.Max(60, s.Pairs / 2);
        List<double> viaRoute = [], direct = [], routeFirst = [], directFirst = [];
        for (var i = 0; i < pairs; i++)
        {
            var prompt = accepted[i % accepted.Length];
            var first = i % 2 == 0;
            foreach (var model in first ? new[] { Route, small } : [small, Route])
            {
                var (e2e, ttft) = await StreamAsync(client, model, prompt);
                (model == Route ? viaRoute : direct).Add(e2e);
                (model == Route ? routeFirst : directFirst).Add(ttft);
            }
        }

        context.Note($"cascade: first tier accepted, {pairs} alternating pairs: end to end p50 {P50(viaRoute):F2} ms through '{Route}' against {P50(direct):F2} ms " +
            $"straight to {small}: judging adds {P50(viaRoute) - P50(direct):F2} ms");
        context.Note($"cascade: streamed time to first token p50 {P50(routeFirst):F2} ms through '{Route}' (the judged tier's answer is held until judged) " +
            $"against {P50(directFirst):F2} ms straight to {small}");
    }

    private static async Task<(GenerateResponse Answer, double Ms)> UnaryAsync(Protocol.V1.Inference.InferenceClient client, string model, string prompt)
    {
        var started = Stopwatch.GetTimestamp();
        var answer = await client.GenerateAsync(Request(model, prompt), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60)));
        return (answer, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private static async Task<(double E2e, double Ttft)> StreamAsync(Protocol.V1.Inference.InferenceClient client, string model, string prompt)
    {
        var started = Stopwatch.GetTimestamp();
        double? first = null;
        using var call = client.GenerateStream(Request(model, prompt), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60)));
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            if (chunk.Text.Length > 0)
            {
                first ??= Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }

        var total = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return (total, first ?? total);
    }

    private static GenerateRequest Request(string model, string prompt) =>
        new() { Model = model, Prompt = prompt, MaxTokens = Tokens, Cache = new CachePolicy { Bypass = true } };

    private static double P50(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
