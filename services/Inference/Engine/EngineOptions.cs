namespace SlmCluster.Inference;

/// <summary>Settings of one <see cref="LlamaEngine"/> (one model, one llama_context).</summary>
public sealed class EngineOptions
{
    /// <summary>Path of the GGUF model file.</summary>
    public string ModelPath { get; set; } = "";

    /// <summary>CPU threads for decoding.</summary>
    public int Threads { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Sequences decoded together (one for now).</summary>
    public int Slots { get; set; } = 1;

    /// <summary>Context size in tokens; 0 means 2048 per slot, capped at the model's training context.</summary>
    public int ContextSize { get; set; }

    /// <summary>Most tokens handed to one llama_decode call (prompt chunks).</summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>Layers offloaded to the GPU (0 = CPU only, negative = all).</summary>
    public int GpuLayers { get; set; }

    /// <summary>Requests that may wait for the engine; more are refused with ResourceExhausted.</summary>
    public int MaxQueue { get; set; } = 64;

    /// <summary>Largest <see cref="GenerationRequest.MaxTokens"/> accepted.</summary>
    public int MaxTokensLimit { get; set; } = 4096;
}
