namespace SlmCluster.AppHost.Orchestration;

/// <summary>Command-line options of <c>dotnet run --project AppHost [-- publish]</c>.</summary>
internal sealed class AppHostOptions
{
    /// <summary><c>run</c> (the default) starts the cluster here; <c>publish</c> writes Kubernetes manifests.</summary>
    public string Command { get; set; } = "run";

    /// <summary>A file in the models folder, a path, or <c>hf://owner/repo/file.gguf</c> (with <see cref="ModelSha256"/>).</summary>
    public string Model { get; set; } = "stories260K.gguf";

    /// <summary>The model file's SHA-256 (hex): required for downloads, checked for local files when given.</summary>
    public string? ModelSha256 { get; set; }

    /// <summary>Where <c>hf://</c> references are downloaded from (a mirror, or a test server); default the Hugging Face hub.</summary>
    public string? ModelBaseUrl { get; set; } = Environment.GetEnvironmentVariable("SLM_MODEL_BASE_URL") is { Length: > 0 } url ? url : null;

    public int Workers { get; set; } = 2;

    public int Slots { get; set; } = 1;

    /// <summary>Threads per worker; 0 splits the machine's cores between the workers.</summary>
    public int Threads { get; set; }

    /// <summary><c>cpu</c> or <c>cuda</c> (worker i on GPU i); null: cpu when run here, cuda when published.</summary>
    public string? Device { get; set; }

    public int GrpcPort { get; set; } = 5000;

    public int HttpPort { get; set; } = 8080;

    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Start a local redis-server (cache and registry): null starts one when it is installed.</summary>
    public bool? Redis { get; set; }

    /// <summary>Pin worker i to core i (benchmarks of scaling across cores).</summary>
    public bool PinWorkers { get; set; }

    /// <summary>Children log warnings and errors only (benchmarks run the cluster this way).</summary>
    public bool Quiet { get; set; }

    /// <summary>Folder <c>publish</c> writes the manifests to.</summary>
    public string Output { get; set; } = Path.Combine("deploy", "k8s");

    /// <summary>Registry and repository prefix of the published images (<c>&lt;prefix&gt;/worker:&lt;tag&gt;</c>).</summary>
    public string ImagePrefix { get; set; } = "slmcluster";

    public string ImageTag { get; set; } = "0.1.0";

    public const string Usage = """
        usage: dotnet run --project AppHost -- [options]                 run the cluster on this machine
               dotnet run --project AppHost -- publish [options]         write Kubernetes manifests
          --model <file|path|hf://owner/repo/file.gguf>
                                GGUF model: a file in the models folder ($SLM_MODELS_DIR, else ./models), a path,
                                or a Hugging Face reference, downloaded once into the models folder (default stories260K.gguf)
          --model-sha256 <hex>  the model file's SHA-256: required for hf://, checked when given
          --model-base-url <url> where hf:// references are downloaded from (default the Hugging Face hub; also SLM_MODEL_BASE_URL)
          --workers <n>         worker processes, one model instance each (default 2)
          --slots <n>           concurrent sequences per worker (default 1)
          --threads <n>         threads per worker (default: cores / workers)
          --device <cpu|cuda>   cuda: worker i runs on GPU i with every layer offloaded (default cpu; publish: cuda)
          --grpc-port <port>    gateway gRPC port (default 5000)
          --http-port <port>    gateway HTTP port (default 8080)
          --no-redis            do not start redis-server even when it is installed (no cache, no registry)
          --pin-workers         pin worker i to CPU core i
        publish options:
          --output <dir>        where the manifests go (default deploy/k8s)
          --image-prefix <p>    image registry/repository prefix (default slmcluster)
          --image-tag <tag>     image tag (default 0.1.0)
        """;

    /// <summary>Parses <paramref name="args"/>; returns null and an error for anything it does not understand.</summary>
    public static AppHostOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new AppHostOptions();
        error = null;
        var start = 0;
        if (args.Count > 0 && args[0] is "run" or "publish")
        {
            options.Command = args[0];
            start = 1;
        }

        for (var i = start; i < args.Count; i++)
        {
            var name = args[i];
            string? value = null;
            var eq = name.IndexOf('=');
            if (eq > 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (name is "-h" or "--help")
            {
                error = Usage;
                return null;
            }
            else if (name is "--no-redis" or "--pin-workers")
            {
                options.Redis = name == "--no-redis" ? false : options.Redis;
                options.PinWorkers |= name == "--pin-workers";
                continue;
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }

            if (value is null)
            {
                error = $"{name} needs a value.\n{Usage}";
                return null;
            }

            switch (name)
            {
                case "--model": options.Model = value; break;
                case "--model-sha256" when IsSha256(value): options.ModelSha256 = value.ToLowerInvariant(); break;
                case "--model-base-url" when Uri.TryCreate(value, UriKind.Absolute, out _): options.ModelBaseUrl = value; break;
                case "--workers" when TryInt(value, 1, 64, out var n): options.Workers = n; break;
                case "--slots" when TryInt(value, 1, 256, out var n): options.Slots = n; break;
                case "--threads" when TryInt(value, 0, 256, out var n): options.Threads = n; break;
                case "--device" when value is "cpu" or "cuda": options.Device = value; break;
                case "--grpc-port" when TryInt(value, 0, 65535, out var n): options.GrpcPort = n; break;
                case "--http-port" when TryInt(value, 0, 65535, out var n): options.HttpPort = n; break;
                case "--output": options.Output = value; break;
                case "--image-prefix" when value.Length > 0: options.ImagePrefix = value.TrimEnd('/'); break;
                case "--image-tag" when value.Length > 0 && value != "latest": options.ImageTag = value; break;
                default:
                    error = $"Unknown option or bad value: {name} {value}\n{Usage}";
                    return null;
            }
        }

        return options;
    }

    public static bool IsSha256(string value) => value.Length == 64 && value.All(Uri.IsHexDigit);

    private static bool TryInt(string value, int min, int max, out int result) =>
        int.TryParse(value, out result) && result >= min && result <= max;
}
