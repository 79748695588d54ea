using System.Globalization;
using Microsoft.Extensions.Configuration;

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

    /// <summary>Every model the cluster serves (<c>--model</c> given more than once), each by its own worker group.</summary>
    public IReadOnlyList<string> Models { get; init; } = ["stories260K.gguf"];

    public string? ModelSha256 { get; init; }

    /// <summary>Where models are looked for and downloaded to: <c>--models-dir</c>, else <c>$SLM_MODELS_DIR</c>, else <c>./models</c>.</summary>
    public string ModelsDirectory { get; init; } = SlmCluster.Hosting.Models.ModelSupply.DefaultModelsDirectory;

    /// <summary>Where <c>hf://</c> references are downloaded from (a mirror of the hub's layout).</summary>
    public string? ModelBaseUrl { get; init; }

    /// <summary>Workers per model.</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Concurrent sequences per worker: what continuous batching batches.</summary>
    public int Slots { get; init; } = 8;

    public int Threads { get; init; }

    public string Device { get; init; } = "cpu";

    public int GrpcPort { get; init; } = 5000;

    public int HttpPort { get; init; } = 8080;

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
        var options = defaults with
        {
            Models = configuration.GetSection("models").GetChildren().Select(c => c.Value).OfType<string>().ToArray() is { Length: > 0 } many
                ? many
                : Get("model") is { } one ? [one] : defaults.Models,
            ModelSha256 = Get("model-sha256")?.ToLowerInvariant(),
            ModelsDirectory = Get("models-dir") is { Length: > 0 } dir ? Path.GetFullPath(dir) : defaults.ModelsDirectory,
            ModelBaseUrl = Get("model-base-url") ?? (Environment.GetEnvironmentVariable("SLM_MODEL_BASE_URL") is { Length: > 0 } url ? url : null),
            Workers = Int(Get("workers"), "workers", 1, 64) ?? defaults.Workers,
            Slots = Int(Get("slots"), "slots", 1, 256) ?? defaults.Slots,
            Threads = Int(Get("threads"), "threads", 0, 256) ?? 0,
            Device = Get("device") ?? (publishing ? "cuda" : defaults.Device),
            GrpcPort = Int(Get("grpc-port"), "grpc-port", 0, 65535) ?? defaults.GrpcPort,
            HttpPort = Int(Get("http-port"), "http-port", 0, 65535) ?? defaults.HttpPort,
            Cache = Bool(Get("cache")) ?? defaults.Cache,
            ImagePrefix = (Get("image-prefix") ?? defaults.ImagePrefix).TrimEnd('/'),
            ImageTag = Get("image-tag") ?? defaults.ImageTag,
        };
        if (options.Device is not ("cpu" or "cuda"))
        {
            throw new ArgumentException($"--device is '{options.Device}'; use cpu or cuda.");
        }

        if (options.Models.Distinct(StringComparer.Ordinal).Count() != options.Models.Count)
        {
            throw new ArgumentException("--model names the same model twice; each model gets one worker group (use --workers for more workers).");
        }

        if (options.ModelSha256 is { } sha && !(sha.Length == 64 && sha.All(Uri.IsHexDigit)))
        {
            throw new ArgumentException($"--model-sha256 '{sha}' is not a SHA-256: expected 64 hex digits.");
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
        $"Redis for membership{(Cache ? " and the response cache" : " (response cache off)")}";

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
}
