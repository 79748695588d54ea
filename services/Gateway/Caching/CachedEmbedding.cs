namespace SlmCluster.Gateway.Caching;

/// <summary>A kept vector and the tokens its input took (for usage on a hit).</summary>
public readonly record struct CachedEmbedding(float[] Vector, int Tokens);
