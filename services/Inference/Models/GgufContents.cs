namespace SlmCluster.Inference;

/// <summary>What <see cref="GgufFileValidator.Read"/> found in a GGUF file: short string and f32 metadata, and every tensor's shape (ggml order).</summary>
internal sealed class GgufContents
{
    public Dictionary<string, string> Strings { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, float> Floats { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long[]> Tensors { get; } = new(StringComparer.Ordinal);
}
