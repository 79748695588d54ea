namespace SlmCluster.Client.Embeddings;

/// <summary>Settings of <see cref="SlmClusterEmbeddingGenerator"/>.</summary>
public sealed class SlmClusterEmbeddingGeneratorOptions
{
    /// <summary>The model asked for when a call names none; null takes the gateway's first model served for embeddings.</summary>
    public string? DefaultModel { get; set; }

    /// <summary>An API key sent as a Bearer token, when the gateway requires one.</summary>
    public string? ApiKey { get; set; }

    /// <summary>A deadline for each call; null waits as long as the caller's token does.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Cut an input longer than the model embeds instead of failing the call.</summary>
    public bool Truncate { get; set; }
}
