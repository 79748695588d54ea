using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using SlmCluster.Settings;

namespace SlmCluster.AppHost;

/// <summary>
/// The AppHost's options, parsed, validated and listed by <c>--help</c> through System.CommandLine: a library that
/// reads the forms people type (<c>--workers 3</c>, <c>--workers=3</c>, <c>--model</c> given once per model, flags
/// without a value) and says what is wrong with a value, which configuration binding alone cannot do for a command
/// line. What it does not know (Aspire's own arguments: <c>--operation</c>, <c>--publisher</c>, <c>--output-path</c>,
/// <c>--DcpPublisher:...</c>) passes through to Aspire untouched. An option left off the command line may come from
/// the AppHost's configuration as <c>SlmCluster:&lt;Option&gt;</c> (environment <c>SlmCluster__Workers=3</c>, or
/// appsettings), read through the same parser and checks.
/// </summary>
internal sealed class AppHostCommandLine
{
    /// <summary>The configuration section an option left off the command line is read from.</summary>
    public const string ConfigurationSection = "SlmCluster";

    private const string PublishVerb = "publish";
    private const string RunVerb = "run";

    public Option<List<string>> Models { get; } = new("--model")
    {
        Description = "A model to serve: a file in the models folder, a path, or hf://owner/repo/file.gguf. Give it once per model, " +
            "smallest first: each gets its own worker group, requests route by model id, the first is the default, and in this order " +
            "they are the cascade's tiers. Default: the two test models (run), stories260K.gguf (publish).",
        HelpName = "file|path|hf://owner/repo/file.gguf",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<List<string>> ModelSha256s { get; } = new("--model-sha256")
    {
        Description = "The model's SHA-256 (64 hex digits): required to download an hf:// model, checked when given. " +
            "With several --model, one per model in the same order (given once: the first model's).",
        HelpName = "hex",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<List<string>> Adapters { get; } = new("--adapter")
    {
        Description = "A LoRA adapter of a model, chosen per request by NAME (a model id of its own): NAME=SOURCE, SOURCE a file in " +
            "the models folder, a path, or hf://owner/repo/adapter.gguf@SHA256 (the SHA-256 is required to download, checked when given). " +
            "It is for the first --model; prefix N: for the N-th (2:legal=legal.gguf). Every worker of that model loads it.",
        HelpName = "[N:]NAME=SOURCE[@sha256]",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string> ModelsDirectory { get; } = new("--models-dir")
    {
        Description = "Where models are looked for and downloaded to: $SLM_MODELS_DIR, else ./models.",
        HelpName = "dir",
        DefaultValueFactory = _ => SlmCluster.AppHost.Hosting.Models.ModelSupply.DefaultModelsDirectory,
    };

    public Option<string?> ModelBaseUrl { get; } = new("--model-base-url")
    {
        Description = "Where hf:// references are downloaded from: a mirror with the hub's layout (also SLM_MODEL_BASE_URL). Default: the Hugging Face hub.",
        HelpName = "url",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SLM_MODEL_BASE_URL") is { Length: > 0 } url ? url : null,
    };

    public Option<int?> Workers { get; } = new("--workers")
    {
        Description = "Worker silos per model, one model instance each (1-64). Default: 2 for one model, else 1.",
        HelpName = "n",
    };

    public Option<int> Slots { get; } = new("--slots")
    {
        Description = "Concurrent sequences per worker: what continuous batching batches (1-256).",
        HelpName = "n",
        DefaultValueFactory = _ => 8,
    };

    public Option<int> Threads { get; } = new("--threads")
    {
        Description = "Compute threads per worker (0-256); 0: this machine's cores shared among all workers.",
        HelpName = "n",
        DefaultValueFactory = _ => 0,
    };

    public Option<string?> Device { get; } = new("--device")
    {
        Description = "Where the workers compute: cpu, or cuda (every layer on an NVIDIA GPU, one per worker). Default: cpu (run), cuda (publish).",
        HelpName = "cpu|cuda",
    };

    public Option<string> Embeddings { get; } = new("--embeddings")
    {
        Description = "Which models' workers also serve embeddings (POST /v1/embeddings, gRPC Embed) beside generation: " +
            "first (the default model), all, or none.",
        HelpName = "first|all|none",
        DefaultValueFactory = _ => "first",
    };

    public Option<int> GrpcPort { get; } = new("--grpc-port")
    {
        Description = "The gateway's gRPC port on this machine.",
        HelpName = "port",
        DefaultValueFactory = _ => ClusterSettings.Ports.GatewayGrpc,
    };

    public Option<int> HttpPort { get; } = new("--http-port")
    {
        Description = "The gateway's HTTP port on this machine (OpenAI API, dashboard, /metrics).",
        HelpName = "port",
        DefaultValueFactory = _ => ClusterSettings.Ports.GatewayHttp,
    };

    public Option<bool> Cache { get; } = new("--cache")
    {
        Description = "The gateway's response cache. Redis runs either way: it holds the cluster's membership.",
        HelpName = "true|false",
        Arity = ArgumentArity.ZeroOrOne,
        DefaultValueFactory = _ => true,
    };

    public Option<double> TracesPerSecond { get; } = new("--traces-per-second")
    {
        Description = "At most this many new traces a second go to the dashboard (parent-based: a trace is kept or dropped whole, " +
            "from the gateway to the worker; metrics and logs keep every request); 0: every request is traced (Aspire's always_on). " +
            "The published manifests carry the same setting.",
        HelpName = "x",
        DefaultValueFactory = _ => ClusterOptions.DefaultTracesPerSecond,
        CustomParser = ParseDouble,
    };

    public Option<string> Store { get; } = new("--store")
    {
        Description = "The local run's Redis-compatible store: redis-server (Debian's, when it is on the PATH), garnet (Microsoft's " +
            "Garnet inside the AppHost: nothing to install), or auto: redis-server when it is installed, else garnet. Publishing " +
            "always declares Redis.",
        HelpName = "auto|redis-server|garnet",
        DefaultValueFactory = _ => ClusterOptions.StoreAuto,
    };

    public Option<bool> NoCache { get; } = new("--no-cache", "--no-redis")
    {
        Description = "Turn the response cache off (as --cache false; --no-redis is its old name).",
    };

    public Option<string> Cascade { get; } = new("--cascade")
    {
        Description = "The model id of the cascade route over the models in order, then the flagship; declared when that makes two tiers or more. " +
            "Letters, digits, '-', '_' or '.', and no served model's id.",
        HelpName = "id",
        DefaultValueFactory = _ => "auto",
    };

    public Option<bool> NoCascade { get; } = new("--no-cascade")
    {
        Description = "Declare no cascade route.",
    };

    public Option<double> CascadeMinMeanLogprob { get; } = new("--cascade-min-mean-logprob")
    {
        Description = "Every tier but the last accepts its answer when the answer's mean token logprob reaches this.",
        HelpName = "x",
        DefaultValueFactory = _ => ClusterOptions.DefaultMinMeanLogprob,
        CustomParser = ParseDouble,
    };

    public Option<double?> CascadeMinTokenLogprob { get; } = new("--cascade-min-token-logprob")
    {
        Description = "... and no token of it is below this. Default: not checked.",
        HelpName = "x",
        CustomParser = result => ParseDouble(result),
    };

    public Option<int?> CascadeSkipPromptTokens { get; } = new("--cascade-skip-prompt-tokens")
    {
        Description = "Prompts longer than this (in the first model's tokens) skip the first tier. Default: none do.",
        HelpName = "n",
    };

    public Option<string?> FlagshipUrl { get; } = new("--flagship-url")
    {
        Description = "An OpenAI-compatible API as the cascade's last tier: its base URL. Its key is the secret parameter flagship-api-key, never a flag.",
        HelpName = "url",
    };

    public Option<string?> FlagshipModel { get; } = new("--flagship-model")
    {
        Description = "The model the flagship API is asked for (needs --flagship-url).",
        HelpName = "id",
    };

    public Option<double> FlagshipInputPrice { get; } = new("--flagship-input-price")
    {
        Description = "The flagship's list price per million input tokens, USD.",
        HelpName = "usd",
        DefaultValueFactory = _ => 0,
        CustomParser = ParseDouble,
    };

    public Option<double> FlagshipOutputPrice { get; } = new("--flagship-output-price")
    {
        Description = "The flagship's list price per million output tokens, USD.",
        HelpName = "usd",
        DefaultValueFactory = _ => 0,
        CustomParser = ParseDouble,
    };

    public Option<int> FlagshipTimeout { get; } = new("--flagship-timeout")
    {
        Description = "How long a request to the flagship may take, in seconds (1-3600).",
        HelpName = "s",
        DefaultValueFactory = _ => 30,
    };

    public Option<string> Output { get; } = new("--output")
    {
        Description = "publish: where the manifests are written (Aspire's --output-path).",
        HelpName = "dir",
        DefaultValueFactory = _ => Path.Combine("deploy", "k8s"),
    };

    public Option<string> ImagePrefix { get; } = new("--image-prefix")
    {
        Description = "publish: images as <prefix>/worker:<tag>, <prefix>/worker-cuda:<tag>, <prefix>/gateway:<tag>.",
        HelpName = "prefix",
        DefaultValueFactory = _ => "slmcluster",
    };

    public Option<string> ImageTag { get; } = new("--image-tag")
    {
        Description = "publish: the images' tag; it must pin a version, not 'latest'.",
        HelpName = "tag",
        DefaultValueFactory = _ => "0.1.0",
    };

    public AppHostCommandLine()
    {
        Command = new RootCommand(
            "SlmCluster's AppHost. [run] (the default) starts the cluster here under Aspire: Redis, a worker group per model, " +
            "the gateway, the dashboards. publish writes it as Kubernetes manifests (--output, --image-prefix, --image-tag). " +
            "Options left off may be set in the AppHost's configuration as SlmCluster:<Option> (environment SlmCluster__Workers=3). " +
            "Arguments not listed here go to Aspire.")
        {
            // Aspire's own arguments are not ours to refuse.
            TreatUnmatchedTokensAsErrors = false,
        };
        Option[] options =
        [
            Models, ModelSha256s, Adapters, ModelsDirectory, ModelBaseUrl, Workers, Slots, Threads, Device, Embeddings, GrpcPort, HttpPort, Cache, NoCache, Store, TracesPerSecond,
            Cascade, NoCascade, CascadeMinMeanLogprob, CascadeMinTokenLogprob, CascadeSkipPromptTokens, FlagshipUrl, FlagshipModel,
            FlagshipInputPrice, FlagshipOutputPrice, FlagshipTimeout, Output, ImagePrefix, ImageTag,
        ];
        foreach (var option in options)
        {
            Command.Options.Add(option);
        }

        InRange(Workers, 1, 64);
        InRange(Slots, 1, 256);
        InRange(Threads, 0, 256);
        InRange(GrpcPort, 0, 65535);
        InRange(HttpPort, 0, 65535);
        InRange(CascadeSkipPromptTokens, 1, 1 << 20);
        InRange(FlagshipTimeout, 1, 3600);
        Device.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } device && !ClusterSettings.Devices.IsKnown(device))
            {
                result.AddError($"--device is '{device}'; use {string.Join(" or ", ClusterSettings.Devices.Names)}.");
            }
        });
        TracesPerSecond.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is < 0 or > 100_000)
            {
                result.AddError("--traces-per-second must be from 0 (every trace) to 100000.");
            }
        });
        Store.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } store && !ClusterOptions.StoreKinds.Contains(store))
            {
                result.AddError($"--store is '{store}'; use {string.Join(", ", ClusterOptions.StoreKinds)}.");
            }
        });
        Embeddings.AcceptOnlyFromAmong("first", "all", "none");
        ModelSha256s.Validators.Add(result =>
        {
            foreach (var sha in result.GetValueOrDefault<List<string>>() ?? [])
            {
                if (!(sha.Length == 64 && sha.All(Uri.IsHexDigit)))
                {
                    result.AddError($"--model-sha256 '{sha}' is not a SHA-256: expected 64 hex digits.");
                }
            }
        });
    }

    public RootCommand Command { get; }

    /// <summary>The arguments after the verb (<c>publish</c> or <c>run</c>), parsed.</summary>
    public ParseResult Parse(IReadOnlyList<string> args) =>
        Command.Parse([.. args.Skip(HasVerb(args) ? 1 : 0)], new ParserConfiguration { EnablePosixBundling = false, ResponseFileTokenReplacer = null });

    /// <summary>
    /// What goes to Aspire: <c>publish</c> becomes its publish operation (<c>--operation publish --step publish
    /// --output-path dir</c>), <c>--output</c> its <c>--output-path</c>, and every argument that is not ours passes as it
    /// was given.
    /// </summary>
    public string[] AspireArguments(IReadOnlyList<string> args, ParseResult parsed)
    {
        var aspire = new List<string>();
        var unmatched = parsed.UnmatchedTokens;
        if (args.Count > 0 && args[0] == PublishVerb)
        {
            aspire.AddRange(["--operation", "publish", "--step", "publish"]);
            if (!unmatched.Contains("--output-path"))
            {
                aspire.AddRange(["--output-path", parsed.GetRequiredValue(Output)]);
            }
        }
        else if (parsed.GetResult(Output) is { Implicit: false })
        {
            aspire.AddRange(["--output-path", parsed.GetRequiredValue(Output)]);
        }

        aspire.AddRange(unmatched);
        return [.. aspire];
    }

    /// <summary>
    /// The arguments parsed again with the options they leave off taken from <paramref name="configuration"/>
    /// (<c>SlmCluster:Workers</c>, <c>SlmCluster:Model</c> or <c>SlmCluster:Model:0</c>, ...), so that both pass the same
    /// checks and the command line wins.
    /// </summary>
    public ParseResult ParseWithConfiguration(IReadOnlyList<string> args, ParseResult parsed, IConfiguration configuration)
    {
        var section = configuration.GetSection(ConfigurationSection);
        var configured = new List<string>();
        foreach (var option in Command.Options.Where(o => o is not (HelpOption or VersionOption) && parsed.GetResult(o) is null or { Implicit: true }))
        {
            var key = section.GetSection(option.Name.TrimStart('-').Replace("-", "", StringComparison.Ordinal));
            string[] values = key.Value is { } one ? [one] : [.. key.GetChildren().Select(c => c.Value).OfType<string>()];
            foreach (var value in values)
            {
                configured.AddRange([option.Name, value]);
            }
        }

        return configured.Count == 0 ? parsed : Parse([.. args, .. configured]);
    }

    /// <summary>Whether the command asks for help (then <see cref="ParseResult.Invoke"/> prints it).</summary>
    public static bool AsksForHelp(ParseResult parsed) => parsed.Action is HelpAction;

    private static bool HasVerb(IReadOnlyList<string> args) => args.Count > 0 && args[0] is PublishVerb or RunVerb;

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, or the error that says so.</summary>
    private static void InRange(Option<int> option, int min, int max) => option.CustomParser = result => ParseInt(result, min, max) ?? 0;

    private static void InRange(Option<int?> option, int min, int max) => option.CustomParser = result => ParseInt(result, min, max);

    private static int? ParseInt(ArgumentResult result, int min, int max)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
        {
            return n;
        }

        result.AddError($"{OptionName(result)} is '{token}'; expected a whole number from {min} to {max}.");
        return null;
    }

    private static double ParseDouble(ArgumentResult result)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x))
        {
            return x;
        }

        result.AddError($"{OptionName(result)} is '{token}'; expected a number such as -1.5.");
        return 0;
    }

    private static string OptionName(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : "an option";
}
