namespace SlmCluster.Inference;

/// <summary>What a loaded model is, as read from its GGUF metadata.</summary>
/// <param name="Name">The <c>general.name</c> metadata, else the file name without extension.</param>
/// <param name="Architecture">The <c>general.architecture</c> metadata, e.g. "llama".</param>
/// <param name="ParameterCount">Number of weights.</param>
/// <param name="ContextLength">Context length the model was trained with (tokens).</param>
/// <param name="ChatTemplate">The model's own chat template, or null when it has none.</param>
/// <param name="FilePath">Full path of the loaded file.</param>
/// <param name="FileSizeBytes">Size of the file on disk.</param>
/// <param name="VocabSize">Number of tokens in the vocabulary.</param>
/// <param name="LayerCount">Number of transformer layers.</param>
/// <param name="EmbeddingLength">Width of the hidden state.</param>
public sealed record ModelMetadata(
    string Name,
    string Architecture,
    ulong ParameterCount,
    int ContextLength,
    string? ChatTemplate,
    string FilePath,
    long FileSizeBytes,
    int VocabSize,
    int LayerCount,
    int EmbeddingLength,
    int HeadCount,
    int KvHeadCount)
{
    /// <summary>Bytes of KV cache one token takes with llama.cpp's default f16 K and V.</summary>
    public long KvBytesPerToken => 2L * sizeof(short) * LayerCount * (HeadCount > 0 ? (long)EmbeddingLength / HeadCount * KvHeadCount : EmbeddingLength);
}
