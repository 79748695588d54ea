using System.ComponentModel.DataAnnotations;
using SlmCluster.Settings;

namespace SlmCluster.Worker.Configuration;

/// <summary>The "Worker" configuration section: one model instance on one device.</summary>
public sealed class WorkerOptions : IValidatableObject
{
    public const string SectionName = "Worker";

    /// <summary>Stable id reported in <c>served.worker_id</c>; defaults to host name and process id.</summary>
    public string? Id { get; set; }

    /// <summary>Path of the GGUF model file; relative paths are looked up in the models folder.</summary>
    [Required(ErrorMessage = "Worker:ModelPath is required: pass --Worker:ModelPath=<file.gguf> (or set Worker__ModelPath).")]
    public string ModelPath { get; set; } = "";

    /// <summary>The id clients put in <c>GenerateRequest.model</c>; defaults to the file name without extension.</summary>
    public string? ModelId { get; set; }

    /// <summary>
    /// LoRA adapters of the model (<c>Worker:Adapters:N:Name</c> and <c>:Path</c>), loaded with it and chosen per request
    /// by name; relative paths are looked up in the models folder. One that does not fit the model is refused with a
    /// reason (log, status) and the worker serves the base without it.
    /// </summary>
    public List<WorkerAdapterOptions> Adapters { get; set; } = [];

    /// <summary>Decodes one adapter set runs while requests under other sets wait (the engine's fairness bound).</summary>
    [Range(1, 10_000)]
    public int AdapterTurnSteps { get; set; } = 16;

    [Range(1, 256)]
    public int Threads { get; set; } = Math.Max(1, Environment.ProcessorCount);

    [Range(1, 256)]
    public int Slots { get; set; } = 1;

    /// <summary>KV cache size in tokens; 0 sizes it from the slots and the model.</summary>
    [Range(0, 1 << 20)]
    public int ContextSize { get; set; }

    [Range(1, 1 << 16)]
    public int BatchSize { get; set; } = 512;

    /// <summary>Layers offloaded to the GPU; -1 offloads all.</summary>
    [Range(-1, 10_000)]
    public int GpuLayers { get; set; }

    [Range(1, 100_000)]
    public int MaxQueue { get; set; } = 64;

    [Range(1, 1 << 20)]
    public int MaxTokensLimit { get; set; } = 4096;

    /// <summary>Port of the HTTP listener for /health, /alive and /metrics (Prometheus).</summary>
    [Range(1, 65535)]
    public int HttpPort { get; set; } = ClusterSettings.Ports.WorkerHttp;

    /// <summary>Address the listeners bind to.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// The device this instance computes on, as announced to the front door and the dashboard: one of
    /// <see cref="ClusterSettings.Devices"/>, the names the AppHost and the published manifests set.
    /// </summary>
    [AllowedValues(ClusterSettings.Devices.Cpu, ClusterSettings.Devices.Cuda,
        ErrorMessage = "Worker:Device must be cpu or cuda (the device kind; which GPU a process uses is the driver's CUDA_VISIBLE_DEVICES).")]
    public string Device { get; set; } = ClusterSettings.Devices.Cpu;

    /// <summary>
    /// What the worker serves with its model: <c>generation</c> (the default), <c>embeddings</c> (only) or <c>both</c>,
    /// their decodes interleaved on the engine thread under <see cref="EmbeddingTokensPerGenerationToken"/>.
    /// </summary>
    [AllowedValues("generation", "embeddings", "both", ErrorMessage = "Worker:Serves must be generation, embeddings or both.")]
    public string Serves { get; set; } = "generation";

    /// <summary>How token states are pooled into one vector: the <c>model</c>'s own (mean when it declares none), <c>mean</c>, <c>cls</c> or <c>last</c>.</summary>
    [AllowedValues("model", "mean", "cls", "last", ErrorMessage = "Worker:EmbeddingPooling must be model, mean, cls or last.")]
    public string EmbeddingPooling { get; set; } = "model";

    /// <summary>Tokens in one embedding decode, and so the longest input (inputs of many requests are packed into it).</summary>
    [Range(1, 1 << 16)]
    public int EmbeddingBatchSize { get; set; } = 512;

    /// <summary>
    /// The fairness budget: while both have work, embeddings may decode this many tokens per token generation decoded
    /// (a decode at most <see cref="EmbeddingBatchSize"/>, and at least one whole input).
    /// </summary>
    [Range(0.001, 1000)]
    public double EmbeddingTokensPerGenerationToken { get; set; } = 1;

    /// <summary>Inputs one embedding request may carry.</summary>
    [Range(1, 1 << 16)]
    public int EmbeddingMaxInputs { get; set; } = 2048;

    /// <summary>The engine's <see cref="Inference.ServedTasks"/> for <see cref="Serves"/>.</summary>
    public Inference.ServedTasks ServedTasks => Serves switch
    {
        "embeddings" => Inference.ServedTasks.Embeddings,
        "both" => Inference.ServedTasks.Both,
        _ => Inference.ServedTasks.Generation,
    };

    /// <summary>How long a stopping worker waits for its running requests before it exits anyway.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Each adapter entry's own rules (data annotations do not look into lists), and no name twice.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Adapters.Count; i++)
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(Adapters[i], new ValidationContext(Adapters[i]), results, validateAllProperties: true))
            {
                foreach (var result in results)
                {
                    yield return new ValidationResult($"Worker:Adapters:{i}: {result.ErrorMessage}", [nameof(Adapters)]);
                }
            }
            else if (!names.Add(Adapters[i].Name))
            {
                yield return new ValidationResult($"Worker:Adapters names '{Adapters[i].Name}' twice.", [nameof(Adapters)]);
            }
        }
    }
}
