namespace SlmCluster.Inference;

/// <summary>How to load a GGUF model file.</summary>
public sealed class ModelLoadOptions
{
    /// <summary>Path of the <c>.gguf</c> file.</summary>
    public string Path { get; set; } = "";

    /// <summary>Layers to offload to the GPU: 0 keeps the model on the CPU, a negative value offloads all layers.</summary>
    public int GpuLayers { get; set; }

    /// <summary>Memory-map the file instead of reading it into memory.</summary>
    public bool UseMmap { get; set; } = true;
}
