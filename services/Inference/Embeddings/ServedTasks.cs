namespace SlmCluster.Inference;

/// <summary>What an engine serves with its model: text generation, embeddings, or both.</summary>
[Flags]
public enum ServedTasks
{
    /// <summary>Text generation (the continuous-batching context).</summary>
    Generation = 1,

    /// <summary>Pooled, L2-normalised embeddings (a second context, made with <c>embeddings = true</c>).</summary>
    Embeddings = 2,

    /// <summary>Both, their steps interleaved on the engine thread (<see cref="EmbeddingOptions.TokensPerGenerationToken"/>).</summary>
    Both = Generation | Embeddings,
}
