namespace SlmCluster.AppHost.Orchestration;

/// <summary>Command-line options of <c>dotnet run --project AppHost</c>.</summary>
internal sealed class AppHostOptions
{
    public string Model { get; set; } = "stories260K.gguf";

    public int Workers { get; set; } = 2;

    public int Slots { get; set; } = 1;

    /// <summary>Threads per worker; 0 splits the machine's cores between the workers.</summary>
    public int Threads { get; set; }

    public int GrpcPort { get; set; } = 5000;

    public int HttpPort { get; set; } = 8080;

    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Start a local redis-server (cache and registry): null starts one when it is installed.</summary>
    public bool? Redis { get; set; }

    /// <summary>Pin worker i to core i (benchmarks of scaling across cores).</summary>
    public bool PinWorkers { get; set; }

    /// <summary>Children log warnings and errors only (benchmarks run the cluster this way).</summary>
    public bool Quiet { get; set; }

    public const string Usage = """
        usage: dotnet run --project AppHost -- [options]
          --model <file|path>   GGUF model: a file in the models folder ($SLM_MODELS_DIR, else ./models) or a path (default stories260K.gguf)
          --workers <n>         worker processes, one model instance each (default 2)
          --slots <n>           concurrent sequences per worker (default 1)
          --threads <n>         threads per worker (default: cores / workers)
          --grpc-port <port>    gateway gRPC port (default 5000)
          --http-port <port>    gateway HTTP port (default 8080)
          --no-redis            do not start redis-server even when it is installed (no cache, no registry)
          --pin-workers         pin worker i to CPU core i
        """;

    /// <summary>Parses <paramref name="args"/>; returns null and an error for anything it does not understand.</summary>
    public static AppHostOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new AppHostOptions();
        error = null;
        for (var i = 0; i < args.Count; i++)
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
                case "--workers" when TryInt(value, 1, 64, out var n): options.Workers = n; break;
                case "--slots" when TryInt(value, 1, 256, out var n): options.Slots = n; break;
                case "--threads" when TryInt(value, 0, 256, out var n): options.Threads = n; break;
                case "--grpc-port" when TryInt(value, 0, 65535, out var n): options.GrpcPort = n; break;
                case "--http-port" when TryInt(value, 0, 65535, out var n): options.HttpPort = n; break;
                default:
                    error = $"Unknown option or bad value: {name} {value}\n{Usage}";
                    return null;
            }
        }

        return options;
    }

    private static bool TryInt(string value, int min, int max, out int result) =>
        int.TryParse(value, out result) && result >= min && result <= max;
}
