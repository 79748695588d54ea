namespace SlmCluster.Inference;

/// <summary>A LoRA adapter loaded for an engine's model, chosen per request by <see cref="Name"/>.</summary>
public sealed class LoraAdapter
{
    internal LoraAdapter(string name, string path, long fileSizeBytes, int rank, float alpha, int tensorPairs, IntPtr handle)
    {
        Name = name;
        Path = path;
        FileSizeBytes = fileSizeBytes;
        Rank = rank;
        Alpha = alpha;
        TensorPairs = tensorPairs;
        Handle = handle;
    }

    /// <summary>The name requests use.</summary>
    public string Name { get; }

    /// <summary>Full path of the adapter's GGUF file.</summary>
    public string Path { get; }

    public long FileSizeBytes { get; }

    /// <summary>The largest rank of its tensor pairs.</summary>
    public int Rank { get; }

    /// <summary><c>adapter.lora.alpha</c>: llama.cpp applies scale × alpha / rank (0: scale as is).</summary>
    public float Alpha { get; }

    /// <summary>Base weights it adapts (lora_a and lora_b pairs).</summary>
    public int TensorPairs { get; }

    /// <summary>The <c>llama_adapter_lora*</c>; owned by the engine that loaded it.</summary>
    internal IntPtr Handle { get; set; }
}
