namespace SlmCluster.Inference;

/// <summary>Settings of one <see cref="LlamaEngine"/> (one model, one llama_context).</summary>
public sealed class EngineOptions
{
    /// <summary>Path of the GGUF model file.</summary>
    public string ModelPath { get; set; } = "";

    /// <summary>CPU threads for decoding.</summary>
    public int Threads { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Requests decoded together, each in its own llama.cpp sequence (continuous batching); more wait in the queue.</summary>
    public int Slots { get; set; } = 1;

    /// <summary>
    /// KV cache size in tokens for all slots together (running requests and the prefixes idle slots keep for reuse).
    /// 0 means <see cref="Slots"/> × 2048 (2048 = the model's training context when that is smaller), at most 32768.
    /// Each slot gets an equal share (rounded up to 256), unless <see cref="UnifiedKvCache"/>; one request never
    /// holds more than the model's training context.
    /// </summary>
    public int ContextSize { get; set; }

    /// <summary>Most tokens in one llama_decode call: one per decoding slot plus prompt chunks (a longer prompt is prefilled over several steps).</summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>Layers offloaded to the GPU (0 = CPU only, negative = all).</summary>
    public int GpuLayers { get; set; }

    /// <summary>Requests that may wait for the engine; more are refused with ResourceExhausted.</summary>
    public int MaxQueue { get; set; } = 64;

    /// <summary>Largest <see cref="GenerationRequest.MaxTokens"/> accepted.</summary>
    public int MaxTokensLimit { get; set; } = 4096;

    /// <summary>What the engine serves: generation (the default), embeddings, or both, interleaved on its thread.</summary>
    public ServedTasks Serves { get; set; } = ServedTasks.Generation;

    /// <summary>The embedding context's settings, used when <see cref="Serves"/> includes embeddings.</summary>
    public EmbeddingOptions Embedding { get; set; } = new();

    /// <summary>
    /// LoRA adapters loaded with the model, chosen per request by name (<see cref="GenerationRequest.Adapters"/>). One
    /// that does not fit the model is refused at start with a reason (<see cref="LlamaEngine.AdapterFailures"/>); the
    /// base serves on.
    /// </summary>
    public IReadOnlyList<AdapterFile> Adapters { get; set; } = [];

    /// <summary>
    /// llama.cpp decodes one adapter set per call, so requests with different sets take turns: a set keeps the engine
    /// for up to this many decodes while another set's requests wait, then the set that has waited longest goes next.
    /// Higher pays the set change (a compute graph re-reserve) less often; lower bounds a set's wait tighter.
    /// </summary>
    public int AdapterTurnSteps { get; set; } = 16;

    /// <summary>
    /// One KV pool shared by all slots (llama.cpp's <c>kv_unified</c>): a single request may use the whole
    /// <see cref="ContextSize"/>, and a full cache evicts idle prefixes or refuses the newest request. Off by default:
    /// then each slot has its own stream of ContextSize / Slots tokens, and attention only scans that stream, which is
    /// faster under concurrency (docs/benchmarks.md, "Measured decisions").
    /// </summary>
    public bool UnifiedKvCache { get; set; }

    /// <summary>
    /// Makes a request's tokens independent of what else is in the batch, so greedy output under load is token for
    /// token what the request gives alone (for tests and reproducible runs). llama.cpp's CPU kernels compute a row
    /// identically in any batch with two or more output rows, but differ slightly when (a) a decode has a single output
    /// row (a matrix-vector path) or (b) a sequence's KV cells are not in position order (which a shared, unified cache
    /// with holes allows); about 1e-6 to 1e-2 in the logits, enough to flip a near-tie. With this on, a decode that
    /// would have one output row gets a throw-away second row in a scratch sequence with its own KV stream (so
    /// <see cref="ContextSize"/> is split Slots + 1 ways), and <see cref="UnifiedKvCache"/> is ignored.
    /// It costs single-stream speed (docs/benchmarks.md, "Measured decisions"), so it is for tests. Verified with F32
    /// weights (the test models); CPU-repacked quantized weights may still round differently by row count.
    /// </summary>
    public bool BatchInvariant { get; set; }
}
