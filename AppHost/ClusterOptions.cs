using System.CommandLine;
using System.Globalization;
using System.Reflection;
using SlmCluster.AppHost.Hosting;
using SlmCluster.AppHost.Hosting.Cascade;
using SlmCluster.Settings;

namespace SlmCluster.AppHost;

/// <summary>
/// The friendly options of <c>dotnet run --project AppHost -- --workers 3 ...</c> as <see cref="AppHostCommandLine"/>
/// parsed and checked them (command line, else environment <c>SlmCluster__Workers</c> or appsettings
/// <c>SlmCluster:Workers</c>), with the defaults that depend on the machine, the mode and the other options.
/// </summary>
internal sealed record ClusterOptions
{
    /// <summary>GGUF model: a file in the models folder, a path, or <c>hf://owner/repo/file.gguf</c>.</summary>
    public string Model => Models[0];

    /// <summary>
    /// Every model the cluster serves (<c>--model</c> given more than once), each by its own worker group, smallest
    /// first: in this order they are the tiers of the cascade route. Run locally, the default is the two test models
    /// (the second, larger one answers what the first is unsure of); published, the one model the init container can
    /// download and verify.
    /// </summary>
    public required IReadOnlyList<string> Models { get; init; }

    /// <summary>The model of a published cluster when none is named: the one the init container can download and verify.</summary>
    public static readonly IReadOnlyList<string> PublishedDefaultModels = ["stories260K.gguf"];

    /// <summary>The models of a local run when none is named.</summary>
    public static readonly IReadOnlyList<string> LocalDefaultModels = ["stories260K.gguf", "tinystories-656k-q8_0.gguf"];

    /// <summary>
    /// The SHA-256 of each model, in the order of <see cref="Models"/> (<c>--model-sha256</c>, once per model it is
    /// known for; given once, the first model's): required to download an <c>hf://</c> model, checked when given.
    /// </summary>
    public required IReadOnlyList<string> ModelSha256s { get; init; }

    /// <summary>The SHA-256 given for the model at <paramref name="index"/>; null when none was.</summary>
    public string? Sha256Of(int index) => index < ModelSha256s.Count ? ModelSha256s[index] : null;

    /// <summary>Where models are looked for and downloaded to: <c>--models-dir</c>, else <c>$SLM_MODELS_DIR</c>, else <c>./models</c>.</summary>
    public required string ModelsDirectory { get; init; }

    /// <summary>The LoRA adapters declared with <c>--adapter</c>, each for one of <see cref="Models"/>.</summary>
    public IReadOnlyList<AdapterDeclaration> Adapters { get; init; } = [];

    /// <summary>Adapters of the model at <paramref name="index"/> in <see cref="Models"/>.</summary>
    public IEnumerable<AdapterDeclaration> AdaptersOf(int index) => Adapters.Where(a => a.ModelIndex == index);

    /// <summary>Where <c>hf://</c> references are downloaded from (a mirror of the hub's layout).</summary>
    public string? ModelBaseUrl { get; init; }

    /// <summary>Workers per model: by default two for a single model, one each for several.</summary>
    public required int Workers { get; init; }

    /// <summary>
    /// The model id of the cascade route (<c>--cascade auto</c>, the default; <c>--no-cascade</c> turns it off): it
    /// stands for the models in order, then the flagship API when one is given. Declared when there are two tiers or more.
    /// </summary>
    public required string? CascadeRoute { get; init; }

    /// <summary>
    /// A tier's answer is accepted when its mean token logprob reaches this (<c>--cascade-min-mean-logprob</c>). The
    /// default sits between what the small test model's greedy answers score after story openings (-0.22 to -0.72) and
    /// after text it has not seen (-0.78 to -0.92); sampled answers score lower (README: choosing thresholds).
    /// </summary>
    public required double CascadeMinMeanLogprob { get; init; }

    public const double DefaultMinMeanLogprob = -0.75;

    /// <summary>... and no token of it is less likely than this (<c>--cascade-min-token-logprob</c>); unset: not checked.</summary>
    public double? CascadeMinTokenLogprob { get; init; }

    /// <summary>Prompts longer than this go straight past the first tier (<c>--cascade-skip-prompt-tokens</c>); unset: none do.</summary>
    public int? CascadeSkipPromptTokens { get; init; }

    /// <summary>
    /// The flagship API as the cascade's last tier: an OpenAI-compatible base URL (<c>--flagship-url</c>), its model
    /// (<c>--flagship-model</c>) and list prices per million tokens; the API key is the secret parameter
    /// <c>flagship-api-key</c>, never a flag.
    /// </summary>
    public string? FlagshipUrl { get; init; }

    public string? FlagshipModel { get; init; }

    public double FlagshipInputPrice { get; init; }

    public double FlagshipOutputPrice { get; init; }

    public required TimeSpan FlagshipTimeout { get; init; }

    /// <summary>Concurrent sequences per worker: what continuous batching batches.</summary>
    public required int Slots { get; init; }

    public required int Threads { get; init; }

    public required string Device { get; init; }

    /// <summary>Which models' workers also serve embeddings: first, all or none (<c>--embeddings</c>).</summary>
    public string Embeddings { get; init; } = "first";

    /// <summary>What the workers of the model at <paramref name="index"/> serve (<c>Worker:Serves</c>).</summary>
    public string ServesFor(int index) => Embeddings == "all" || (Embeddings == "first" && index == 0) ? "both" : "generation";

    public required int GrpcPort { get; init; }

    public required int HttpPort { get; init; }

    /// <summary>
    /// The gateway's response cache (<c>--no-cache</c> turns it off). Redis runs either way: it holds the cluster's
    /// membership and the worker grains' directory.
    /// </summary>
    public required bool Cache { get; init; }

    /// <summary>
    /// New traces sampled a second by default: every request someone sends by hand is traced, and a load test costs
    /// one trace a second instead of one per request (docs/observability.md has the cost per request).
    /// </summary>
    public const double DefaultTracesPerSecond = 1;

    /// <summary><c>--traces-per-second</c>: at most this many new traces a second; 0 traces every request.</summary>
    public required double TracesPerSecond { get; init; }

    /// <summary>The value handed to every silo as <c>Telemetry__TracesPerSecond</c>.</summary>
    public string TracesPerSecondSetting => TracesPerSecond.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>--store auto</c>: redis-server when it is installed, else Garnet.</summary>
    public const string StoreAuto = "auto";

    /// <summary>Debian's redis-server, as the tests and the published manifests run Redis.</summary>
    public const string StoreRedisServer = "redis-server";

    /// <summary>Garnet inside the AppHost: a first run needs nothing installed.</summary>
    public const string StoreGarnet = "garnet";

    public static IReadOnlyList<string> StoreKinds { get; } = [StoreAuto, StoreRedisServer, StoreGarnet];

    /// <summary>
    /// The store a local run starts: <see cref="StoreRedisServer"/> or <see cref="StoreGarnet"/> (<c>auto</c> resolved
    /// by whether redis-server is on the PATH).
    /// </summary>
    public required string Store { get; init; }

    /// <summary>Image repository prefix and tag in published manifests.</summary>
    public required string ImagePrefix { get; init; }

    public required string ImageTag { get; init; }

    /// <summary>Threads per worker: as given, else this machine's cores shared among the workers.</summary>
    public int ThreadsPerWorker => Threads > 0 ? Threads : Math.Max(1, Environment.ProcessorCount / (Workers * Models.Count));

    /// <summary>The repository the AppHost was built in (stamped by AppHost.csproj), where the shared test models sit beside it.</summary>
    public static string RepoRoot =>
        typeof(ClusterOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value ?? ".";

    /// <summary>
    /// The options from the command line as <paramref name="commandLine"/> parsed and checked them, with the defaults
    /// that depend on what else is given; then the rules that concern several options at once.
    /// </summary>
    /// <param name="publishing">Publishing for Kubernetes: workers default to one GPU each there.</param>
    /// <exception cref="ArgumentException">The options contradict each other.</exception>
    public static ClusterOptions From(AppHostCommandLine commandLine, ParseResult parsed, bool publishing)
    {
        IReadOnlyList<string> models = parsed.GetValue(commandLine.Models) is { Count: > 0 } given
            ? given
            : publishing ? PublishedDefaultModels : LocalDefaultModels;
        var cache = parsed.GetValue(commandLine.Cache) && !parsed.GetValue(commandLine.NoCache);
        var options = new ClusterOptions
        {
            Models = models,
            ModelSha256s = [.. (parsed.GetValue(commandLine.ModelSha256s) ?? []).Select(h => h.ToLowerInvariant())],
            ModelsDirectory = Path.GetFullPath(parsed.GetRequiredValue(commandLine.ModelsDirectory)),
            ModelBaseUrl = parsed.GetValue(commandLine.ModelBaseUrl),
            Workers = parsed.GetValue(commandLine.Workers) ?? (models.Count == 1 ? 2 : 1),
            Slots = parsed.GetValue(commandLine.Slots),
            Threads = parsed.GetValue(commandLine.Threads),
            Device = parsed.GetValue(commandLine.Device) ?? (publishing ? ClusterSettings.Devices.Cuda : ClusterSettings.Devices.Cpu),
            Embeddings = parsed.GetValue(commandLine.Embeddings) ?? "first",
            GrpcPort = parsed.GetValue(commandLine.GrpcPort),
            HttpPort = parsed.GetValue(commandLine.HttpPort),
            Cache = cache,
            TracesPerSecond = parsed.GetValue(commandLine.TracesPerSecond),
            Store = parsed.GetRequiredValue(commandLine.Store) is var store && store == StoreAuto
                ? RedisServer.IsInstalled ? StoreRedisServer : StoreGarnet
                : store,
            ImagePrefix = parsed.GetRequiredValue(commandLine.ImagePrefix).TrimEnd('/'),
            ImageTag = parsed.GetRequiredValue(commandLine.ImageTag),
            CascadeRoute = parsed.GetValue(commandLine.NoCascade) || parsed.GetValue(commandLine.Cascade) is not { Length: > 0 }
                ? null
                : parsed.GetValue(commandLine.Cascade),
            CascadeMinMeanLogprob = parsed.GetValue(commandLine.CascadeMinMeanLogprob),
            CascadeMinTokenLogprob = parsed.GetValue(commandLine.CascadeMinTokenLogprob),
            CascadeSkipPromptTokens = parsed.GetValue(commandLine.CascadeSkipPromptTokens),
            FlagshipUrl = parsed.GetValue(commandLine.FlagshipUrl),
            FlagshipModel = parsed.GetValue(commandLine.FlagshipModel),
            FlagshipInputPrice = parsed.GetValue(commandLine.FlagshipInputPrice),
            FlagshipOutputPrice = parsed.GetValue(commandLine.FlagshipOutputPrice),
            FlagshipTimeout = TimeSpan.FromSeconds(parsed.GetValue(commandLine.FlagshipTimeout)),
        };
        options = options with { Adapters = [.. (parsed.GetValue(commandLine.Adapters) ?? []).Select(a => AdapterDeclaration.Parse(a, options.Models.Count))] };
        if (options.Adapters.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new ArgumentException($"--adapter names '{twice.Key}' twice; adapter names are model ids, one each.");
        }

        if (options.Models.Distinct(StringComparer.Ordinal).Count() != options.Models.Count)
        {
            throw new ArgumentException("--model names the same model twice; each model gets one worker group (use --workers for more workers).");
        }

        if (options.ModelSha256s.Count > options.Models.Count)
        {
            throw new ArgumentException($"--model-sha256 is given {options.ModelSha256s.Count} times for {options.Models.Count} models; " +
                "give one per --model, in the same order.");
        }

        if (options.CascadeRoute is { } name && (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || options.Models.Any(m => ModelId(m) == name)))
        {
            throw new ArgumentException($"--cascade '{name}' must be a model id of letters, digits, '-', '_' or '.', and no served model's.");
        }

        if (options.FlagshipUrl is { } flagship)
        {
            if (!Uri.TryCreate(flagship, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new ArgumentException($"--flagship-url '{flagship}' is not an http(s) URL; give the API's base, e.g. https://provider.example/v1.");
            }

            if (options.FlagshipModel is not { Length: > 0 })
            {
                throw new ArgumentException("--flagship-url needs --flagship-model: the model the API is asked for.");
            }

            if (options.FlagshipInputPrice < 0 || options.FlagshipOutputPrice < 0)
            {
                throw new ArgumentException("--flagship-input-price and --flagship-output-price are USD per million tokens and cannot be negative.");
            }
        }
        else if (options.FlagshipModel is not null)
        {
            throw new ArgumentException("--flagship-model needs --flagship-url.");
        }

        if (options.ImageTag is "latest" or "")
        {
            throw new ArgumentException("--image-tag must pin a version, not 'latest'.");
        }

        return options;
    }

    /// <summary>One line for the console: what runs, and why those numbers.</summary>
    public string Describe() =>
        $"{Workers} worker silo(s) per model x {ThreadsPerWorker} thread(s), {Slots} slots each, on {Device} ({Environment.ProcessorCount} cores" +
        (Threads > 0 ? ")" : ", shared among the workers; --threads to change)") +
        $"; model{(Models.Count > 1 ? "s" : "")} {string.Join(", ", Models)}; gateway gRPC :{GrpcPort}, HTTP :{HttpPort}; " +
        $"{(Store == StoreGarnet ? "Garnet (in the AppHost)" : "redis-server")} for membership{(Cache ? " and the response cache" : " (response cache off)")}" +
        (Cascade(Models.Select(ModelId).ToArray()) is { } cascade
            ? $"; cascade route '{cascade.Route}': {string.Join(" -> ", cascade.Tiers.Select(t => t.Name))} (accept at mean logprob >= {CascadeMinMeanLogprob.ToString(CultureInfo.InvariantCulture)})"
            : "");

    /// <summary>The id requests use for a model: its file name without the extension.</summary>
    public static string ModelId(string model) => Path.GetFileNameWithoutExtension(model.Split('/').Last());

    /// <summary>
    /// The cascade route over <paramref name="modelIds"/> (the served models in order) and the flagship, or null when
    /// it is off or there would be one tier only.
    /// </summary>
    public CascadeRouteDeclaration? Cascade(IReadOnlyList<string> modelIds)
    {
        var external = FlagshipUrl is { } url
            ? new ExternalTierDeclaration(url, FlagshipModel!, FlagshipInputPrice, FlagshipOutputPrice, FlagshipTimeout)
            : null;
        if (CascadeRoute is not { } route || modelIds.Count + (external is null ? 0 : 1) < 2)
        {
            return null;
        }

        var tiers = modelIds.Select((id, i) => new CascadeTierDeclaration(id, id, CascadeMinMeanLogprob, CascadeMinTokenLogprob,
            i == 0 ? CascadeSkipPromptTokens : null)).ToList();
        if (external is not null)
        {
            tiers.Add(new CascadeTierDeclaration("flagship", null, External: external));
        }

        return new CascadeRouteDeclaration(route, tiers);
    }
}
