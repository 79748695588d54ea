namespace SlmCluster.Inference.Native;

/// <summary>The embedding functions of <c>llama.h</c>.</summary>
internal static unsafe partial class LlamaApi
{
    /// <summary><c>LLAMA_POOLING_TYPE_NONE</c>: no pooled vector per sequence.</summary>
    public const int PoolingNone = 0;

    /// <summary><c>LLAMA_POOLING_TYPE_RANK</c>: a reranker's classification head, not an embedding.</summary>
    public const int PoolingRank = 4;

    /// <summary><c>LLAMA_POOLING_TYPE_UNSPECIFIED</c>: the model's own.</summary>
    public const int PoolingUnspecified = -1;

    /// <summary>The context's pooling, the model's own resolved when the context was made with UNSPECIFIED.</summary>
    [System.Runtime.InteropServices.LibraryImport(LibraryName)]
    public static partial int llama_pooling_type(SafeLlamaContextHandle context);

    /// <summary>The pooled vector (n_embd floats) of a sequence after a decode; null when the context does not pool.</summary>
    [System.Runtime.InteropServices.LibraryImport(LibraryName)]
    public static partial float* llama_get_embeddings_seq(SafeLlamaContextHandle context, int seqId);
}
