namespace SlmCluster.Contracts;

/// <summary>An embedding request as the front door hands it to a worker grain.</summary>
[GenerateSerializer, Immutable, Alias("slm.EmbeddingCall")]
public sealed record EmbeddingCall
{
    /// <summary>The model asked for; a worker refuses a request for another model.</summary>
    [Id(0)] public string Model { get; init; } = "";

    /// <summary>The inputs, each a text or token ids; one vector comes back for each, in order.</summary>
    [Id(1)] public IReadOnlyList<EmbeddingCallInput> Inputs { get; init; } = [];

    /// <summary>Cut an input longer than the worker embeds to its first tokens instead of refusing the call.</summary>
    [Id(2)] public bool Truncate { get; init; }

    /// <summary>Keep the first this many dimensions, renormalised; 0 keeps them all.</summary>
    [Id(3)] public int Dimensions { get; init; }
}

/// <summary>One input of an <see cref="EmbeddingCall"/>: <see cref="Text"/>, or <see cref="Tokens"/> when it is not null.</summary>
[GenerateSerializer, Immutable, Alias("slm.EmbeddingCallInput")]
public sealed record EmbeddingCallInput
{
    [Id(0)] public string Text { get; init; } = "";

    [Id(1)] public IReadOnlyList<int>? Tokens { get; init; }
}
