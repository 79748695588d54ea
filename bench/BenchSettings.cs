namespace SlmCluster.Bench;

/// <summary>What to measure, from the command line.</summary>
internal sealed record BenchSettings
{
    public string ModelPath { get; init; } = DefaultModel("bench-llama-125m-random-q4_0.gguf");

    /// <summary>The small real model for latency scenarios where generation must not drown the difference measured.</summary>
    public string SmallModelPath { get; init; } = DefaultModel("stories260K.gguf");

    public IReadOnlyList<string> Scenarios { get; init; } = SlmCluster.Bench.Scenarios.Scenarios.All;

    /// <summary>Alternating request pairs in the latency comparisons.</summary>
    public int Pairs { get; init; } = 150;

    /// <summary>Engine KV cache size in tokens; 0 lets the engine size it from the slots.</summary>
    public int ContextSize { get; init; }

    public IReadOnlyList<int> Concurrency { get; init; } = [1, 8];

    public int MaxTokens { get; init; } = 128;

    public int RequestsPerClient { get; init; } = 1;

    /// <summary>Interleaved rounds in the throughput comparisons: each arm gets one burst of RequestsPerClient per client per round.</summary>
    public int Rounds { get; init; } = 16;

    /// <summary>Least warm-up traffic before each closed-loop measurement.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(8);

    public int Threads { get; init; } = 2;

    public int Slots { get; init; } = 8;

    public Uri? OpenAiUrl { get; init; }

    public string? OpenAiModel { get; init; }

    /// <summary>llama.cpp's default build of llama-server (OpenMP), the apphost scenario's peer; bench/peer.sh prints it.</summary>
    public string? LlamaServer { get; init; }

    /// <summary>llama-server built with GGML_OPENMP=OFF as the product's binary is, the apphost scenario's second peer.</summary>
    public string? LlamaServerOpenMpOff { get; init; }

    public string ResultsDirectory { get; init; } = "bench/results";

    public const string Usage = """
        usage: ./build.sh bench [options]
          --model <path>          GGUF model (default: bench-llama-125m-random-q4_0.gguf in $SLM_MODELS_DIR or ../shared/models)
          --scenarios <list>      engine,apphost,serving-cost,gateway-overhead,ollama-api,scaling,cache,cascade,structured,embeddings (default: all)
          --small-model <path>    model for the latency scenarios (default stories260K.gguf)
          --pairs <n>             alternating request pairs in latency comparisons (default 150)
          --concurrency <list>    concurrent streams, e.g. 1,8 (default 1,8)
          --tokens <n>            tokens per request, end-of-sequence ignored (default 128)
          --requests <n>          requests per client in each round's burst, after the warm-up (default 1)
          --rounds <n>            interleaved rounds in the throughput comparisons (default 16)
          --warmup <seconds>      least warm-up traffic before each measurement (default 8; at least 2 requests per client)
          --threads <n>           engine threads (default 2)
          --slots <n>             engine sequence slots (default 8)
          --openai-url <url>      an OpenAI-compatible server to compare in the engine scenario, e.g. llama-server at http://127.0.0.1:8090/
                                  (in the embeddings scenario: llama-server --embeddings, see docs/benchmarks.md)
          --openai-model <id>     model field sent to it
          --llama-server <path>   llama-server, llama.cpp's default build, started as the apphost scenario's peer: $(bench/peer.sh)
          --llama-server-openmp-off <path>  the OpenMP-off build, a second peer there: $(bench/peer.sh --openmp-off)
          --results <dir>         where JSON and Markdown go (default bench/results)
        """;

    public static BenchSettings? Parse(string[] args, out string? error)
    {
        var settings = new BenchSettings();
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help" || i + 1 >= args.Length)
            {
                error = Usage;
                return null;
            }

            var value = args[++i];
            try
            {
                settings = args[i - 1] switch
                {
                    "--model" => settings with { ModelPath = Path.GetFullPath(value) },
                    "--scenarios" => settings with { Scenarios = value.Split(',', StringSplitOptions.RemoveEmptyEntries) },
                    "--small-model" => settings with { SmallModelPath = Path.GetFullPath(value) },
                    "--pairs" => settings with { Pairs = int.Parse(value) },
                    "--ctx-size" => settings with { ContextSize = int.Parse(value) },
                    "--concurrency" => settings with { Concurrency = value.Split(',').Select(int.Parse).ToArray() },
                    "--tokens" => settings with { MaxTokens = int.Parse(value) },
                    "--requests" => settings with { RequestsPerClient = int.Parse(value) },
                    "--rounds" => settings with { Rounds = int.Parse(value) },
                    "--warmup" => settings with { WarmUp = TimeSpan.FromSeconds(double.Parse(value, System.Globalization.CultureInfo.InvariantCulture)) },
                    "--threads" => settings with { Threads = int.Parse(value) },
                    "--slots" => settings with { Slots = int.Parse(value) },
                    "--openai-url" => settings with { OpenAiUrl = new Uri(value.EndsWith('/') ? value : value + "/") },
                    "--openai-model" => settings with { OpenAiModel = value },
                    "--llama-server" => settings with { LlamaServer = Path.GetFullPath(value) },
                    "--llama-server-openmp-off" => settings with { LlamaServerOpenMpOff = Path.GetFullPath(value) },
                    "--results" => settings with { ResultsDirectory = value },
                    _ => throw new FormatException($"unknown option {args[i - 1]}"),
                };
            }
            catch (FormatException e)
            {
                error = $"{e.Message}\n{Usage}";
                return null;
            }
        }

        return settings;
    }

    private static string DefaultModel(string file)
    {
        var dir = Environment.GetEnvironmentVariable("SLM_MODELS_DIR") is { Length: > 0 } d ? d : Path.Combine("..", "shared", "models");
        return Path.GetFullPath(Path.Combine(dir, file));
    }
}
