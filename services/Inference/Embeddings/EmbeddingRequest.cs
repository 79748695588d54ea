namespace SlmCluster.Inference;

/// <summary>Inputs to embed together; the vectors come back in the same order.</summary>
public sealed record EmbeddingRequest
{
    public required IReadOnlyList<EmbeddingInput> Inputs { get; init; }

    /// <summary>Cut an input longer than the engine takes to its first tokens instead of refusing the request.</summary>
    public bool Truncate { get; init; }

    /// <summary>Keep the first this many dimensions and normalise again (Matryoshka-style); 0 keeps them all.</summary>
    public int Dimensions { get; init; }
}
