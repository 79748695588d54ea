using SlmCluster.Contracts;

namespace SlmCluster.Gateway.Serving.Embeddings;

/// <summary>
/// One embedding request as every front door hands it to the <see cref="EmbeddingPipeline"/>: the worker's own
/// <see cref="EmbeddingCall"/> and the cache's policy. A door's mapper makes it from its wire shape; the limits are
/// <see cref="EmbeddingRequestRules"/>'.
/// </summary>
public sealed record EmbeddingServingRequest
{
    public required EmbeddingCall Call { get; init; }

    /// <summary>Never answer from, nor keep the vectors in, the cache.</summary>
    public bool BypassCache { get; init; }

    /// <summary>How long kept vectors live; 0 takes the cache's default.</summary>
    public int CacheTtlSeconds { get; init; }

    /// <summary>The model asked for; empty takes the first model served for embeddings.</summary>
    public string Model => Call.Model;
}
