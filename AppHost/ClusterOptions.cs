using System.Globalization;
using Microsoft.Extensions.Configuration;
using SlmCluster.Hosting.Cascade;
using SlmCluster.Settings;

namespace SlmCluster.AppHost;

/// <summary>
/// The friendly options of <c>dotnet run --project AppHost -- --workers 3 ...</c>, read from the AppHost's configuration
/// (command line, environment <c>SlmCluster__Workers</c>, appsettings <c>SlmCluster:Workers</c>), with defaults chosen
/// from this machine.
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
    public IReadOnlyList<string> Models { get; init; } = ["stories260K.gguf"];

    /// <summary>The models of a local run when none is named.</summary>
    public static readonly IReadOnlyList<string> LocalDefaultModels = ["stories260K.gguf", "tinystories-656k-q8_0.gguf"];

    /// <summary>
    /// The SHA-256 of each model, in the order of <see cref="Models"/> (<c>--model-sha256</c>, once per model it is
    /// known for; given once, the first model's): required to download an <c>hf://</c> model, checked when given.
    /// </summary>
    public IReadOnlyList<string> ModelSha256s { get; init; } = [];

    /// <summary>The SHA-256 given for the model at <paramref name="index"/>; null when none was.</summary>
    public string? Sha256Of(int index) => index < ModelSha256s.Count ? ModelSha256s[index] : null;

    /// <summary>Where models are looked for and downloaded to: <c>--models-dir</c>, else <c>$SLM_MODELS_DIR</c>, else <c>./models</c>.</summary>
    public string ModelsDirectory { get; init; } = SlmCluster.Hosting.Models.ModelSupply.DefaultModelsDirectory;

    /// <summary>Where <c>hf://</c> references are downloaded from (a mirror of the hub's layout).</summary>
    public string? ModelBaseUrl { get; init; }

    /// <summary>Workers per model: by default two for a single model, one each for several.</summary>
    public int Workers { get; init; } = 2;

    /// <summary>
    /// The model id of the cascade route (<c>--cascade auto</c>, the default; <c>--no-cascade</c> turns it off): it
    /// stands for the models in order, then the flagship API when one is given. Declared when there are two tiers or more.
    /// </summary>
    public string? CascadeRoute { get; init; } = "auto";

    /// <summary>
    /// A tier's answer is accepted when its mean token logprob reaches this (<c>--cascade-min-mean-logprob</c>). The
    /// default sits between what the small test model's greedy answers score after story openings (-0.22 to -0.72) and
    /// after text it has not seen (-0.78 to -0.92); sampled answers score lower (README: choosing thresholds).
    /// </summary>
    public double CascadeMinMeanLogprob { get; init; } = DefaultMinMeanLogprob;

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

    public TimeSpan FlagshipTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Concurrent sequences per worker: what continuous batching batches.</summary>
    public int Slots { get; init; } = 8;

    public int Threads { get; init; }

    public string Device { get; init; } = ClusterSettings.Devices.Cpu;

    public int GrpcPort { get; init; } = ClusterSettings.Ports.GatewayGrpc;

    public int HttpPort { get; init; } = ClusterSettings.Ports.GatewayHttp;

    /// <summary>
    /// The gateway's response cache (<c>--no-cache</c> turns it off). Redis runs either way: it holds the cluster's
    /// membership and the worker grains' directory.
    /// </summary>
    public bool Cache { get; init; } = true;

    /// <summary>Image repository prefix and tag in published manifests.</summary>
    public string ImagePrefix { get; init; } = "slmcluster";

    public string ImageTag { get; init; } = "0.1.0";

    /// <summary>Threads per worker: as given, else this machine's cores shared among the workers.</summary>
    public int ThreadsPerWorker => Threads > 0 ? Threads : Math.Max(1, Environment.ProcessorCount / (Workers * Models.Count));

    /// <param name="publishing">Publishing for Kubernetes: workers default to one GPU each there.</param>
    public static ClusterOptions From(IConfiguration configuration, bool publishing)
    {
        string? Get(string key) => configuration[key] ?? configuration[$"SlmCluster:{key.Replace("-", "", StringComparison.Ordinal)}"];
        var defaults = new ClusterOptions();
        var models = configuration.GetSection("models").GetChildren().Select(c => c.Value).OfType<string>().ToArray() is { Length: > 0 } many
            ? many
            : Get("model") is { } one ? [one] : publishing ? defaults.Models : LocalDefaultModels;
        var options = defaults with
        {
            Models = models,
            ModelSha256s = [.. (configuration.GetSection("model-sha256s").GetChildren().Select(c => c.Value).OfType<string>().ToArray() is { Length: > 0 } hashes
                ? hashes
                : Get("model-sha256") is { } hash ? [hash] : []).Select(h => h.ToLowerInvariant())],
            ModelsDirectory = Get("models-dir") is { Length: > 0 } dir ? Path.GetFullPath(dir) : defaults.ModelsDirectory,
            ModelBaseUrl = Get("model-base-url") ?? (Environment.GetEnvironmentVariable("SLM_MODEL_BASE_URL") is { Length: > 0 } url ? url : null),
            Workers = Int(Get("workers"), "workers", 1, 64) ?? (models.Count == 1 ? defaults.Workers : 1),
            Slots = Int(Get("slots"), "slots", 1, 256) ?? defaults.Slots,
            Threads = Int(Get("threads"), "threads", 0, 256) ?? 0,
            Device = Get("device") ?? (publishing ? ClusterSettings.Devices.Cuda : defaults.Device),
            GrpcPort = Int(Get("grpc-port"), "grpc-port", 0, 65535) ?? defaults.GrpcPort,
            HttpPort = Int(Get("http-port"), "http-port", 0, 65535) ?? defaults.HttpPort,
            Cache = Bool(Get("cache")) ?? defaults.Cache,
            ImagePrefix = (Get("image-prefix") ?? defaults.ImagePrefix).TrimEnd('/'),
            ImageTag = Get("image-tag") ?? defaults.ImageTag,
            CascadeRoute = Get("cascade") is { } route ? route.Length == 0 ? null : route : defaults.CascadeRoute,
            CascadeMinMeanLogprob = Double(Get("cascade-min-mean-logprob"), "cascade-min-mean-logprob") ?? defaults.CascadeMinMeanLogprob,
            CascadeMinTokenLogprob = Double(Get("cascade-min-token-logprob"), "cascade-min-token-logprob"),
            CascadeSkipPromptTokens = Int(Get("cascade-skip-prompt-tokens"), "cascade-skip-prompt-tokens", 1, 1 << 20),
            FlagshipUrl = Get("flagship-url"),
            FlagshipModel = Get("flagship-model"),
            FlagshipInputPrice = Double(Get("flagship-input-price"), "flagship-input-price") ?? 0,
            FlagshipOutputPrice = Double(Get("flagship-output-price"), "flagship-output-price") ?? 0,
            FlagshipTimeout = Int(Get("flagship-timeout"), "flagship-timeout", 1, 3600) is { } seconds ? TimeSpan.FromSeconds(seconds) : defaults.FlagshipTimeout,
        };
        if (!ClusterSettings.Devices.IsKnown(options.Device))
        {
            throw new ArgumentException($"--device is '{options.Device}'; use {string.Join(" or ", ClusterSettings.Devices.Names)}.");
        }

        if (options.Models.Distinct(StringComparer.Ordinal).Count() != options.Models.Count)
        {
            throw new ArgumentException("--model names the same model twice; each model gets one worker group (use --workers for more workers).");
        }

        if (options.ModelSha256s.FirstOrDefault(sha => !(sha.Length == 64 && sha.All(Uri.IsHexDigit))) is { } bad)
        {
            throw new ArgumentException($"--model-sha256 '{bad}' is not a SHA-256: expected 64 hex digits.");
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
        $"Redis for membership{(Cache ? " and the response cache" : " (response cache off)")}" +
        (Cascade(Models.Select(ModelId).ToArray()) is { } cascade
            ? $"; cascade route '{cascade.Route}': {string.Join(" -> ", cascade.Tiers.Select(t => t.Name))} (accept at mean logprob >= {CascadeMinMeanLogprob.ToString(CultureInfo.InvariantCulture)})"
            : "");

    private static int? Int(string? value, string name, int min, int max)
    {
        if (value is null)
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"--{name} is '{value}'; expected a whole number from {min} to {max}.");
    }

    private static bool? Bool(string? value) => value is null ? null : bool.Parse(value);

    private static double? Double(string? value, string name)
    {
        if (value is null)
        {
            return null;
        }

        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x)
            ? x
            : throw new ArgumentException($"--{name} is '{value}'; expected a number such as -1.5.");
    }

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
