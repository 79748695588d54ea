namespace SlmCluster.Contracts;

/// <summary>A worker's vectors for an <see cref="EmbeddingCall"/>, each of unit length, with what they cost.</summary>
[GenerateSerializer, Immutable, Alias("slm.EmbeddingAnswer")]
public sealed record EmbeddingAnswer
{
    /// <summary>One per input, in order.</summary>
    [Id(0)] public IReadOnlyList<float[]> Vectors { get; init; } = [];

    /// <summary>Tokens decoded for all inputs (after truncation).</summary>
    [Id(1)] public int PromptTokens { get; init; }

    [Id(2)] public int TruncatedInputs { get; init; }

    [Id(3)] public double TotalMs { get; init; }

    /// <summary>The worker's share of its time, as for generations.</summary>
    [Id(4)] public double CostUsd { get; init; }

    [Id(5)] public string WorkerId { get; init; } = "";

    [Id(6)] public string Model { get; init; } = "";

    /// <summary>Tokens of each input (after truncation), in order.</summary>
    [Id(7)] public IReadOnlyList<int> InputTokens { get; init; } = [];
}
