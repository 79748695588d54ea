namespace SlmCluster.Contracts;

/// <summary>
/// A piece of a generation: text, or (the last piece) the closing facts — why it stopped, usage, timings and the
/// share of the worker's time it cost.
/// </summary>
[GenerateSerializer, Immutable, Alias("slm.GenerationPiece")]
public sealed record GenerationPiece
{
    [Id(0)] public string Text { get; init; } = "";

    /// <summary>Set on the closing piece only.</summary>
    [Id(1)] public GenerationSummary? Summary { get; init; }

    /// <summary>
    /// When the call asked for them: one entry per generated token whose text this piece releases, in order. Tokens a
    /// stop string cut away are not reported.
    /// </summary>
    [Id(2)] public IReadOnlyList<TokenLogprob>? Logprobs { get; init; }
}

/// <summary>A generated token and how likely the model found it.</summary>
[GenerateSerializer, Immutable, Alias("slm.TokenLogprob")]
public sealed record TokenLogprob
{
    /// <summary>The token's text (lossy when the token is part of a multi-byte character).</summary>
    [Id(0)] public string Token { get; init; } = "";

    /// <summary>The token's raw UTF-8 bytes.</summary>
    [Id(1)] public byte[] Bytes { get; init; } = [];

    /// <summary>Natural log of its probability under the model's distribution at that position.</summary>
    [Id(2)] public float Logprob { get; init; }

    /// <summary>The most likely tokens at that position, best first, when the call asked for alternatives.</summary>
    [Id(3)] public IReadOnlyList<TopLogprob> Top { get; init; } = [];
}

/// <summary>An alternative token at a position.</summary>
[GenerateSerializer, Immutable, Alias("slm.TopLogprob")]
public sealed record TopLogprob(
    [property: Id(0)] string Token,
    [property: Id(1)] byte[] Bytes,
    [property: Id(2)] float Logprob);

/// <summary>How a generation ended and what it used.</summary>
[GenerateSerializer, Immutable, Alias("slm.GenerationSummary")]
public sealed record GenerationSummary
{
    [Id(0)] public PieceFinishReason FinishReason { get; init; }

    [Id(1)] public int PromptTokens { get; init; }

    [Id(2)] public int CompletionTokens { get; init; }

    /// <summary>Prompt tokens found in the worker's KV cache instead of decoded again.</summary>
    [Id(3)] public int ReusedPromptTokens { get; init; }

    [Id(4)] public double TimeToFirstTokenMs { get; init; }

    [Id(5)] public double TotalMs { get; init; }

    /// <summary>The share of the worker's hourly price this request used.</summary>
    [Id(6)] public double CostUsd { get; init; }

    [Id(7)] public string WorkerId { get; init; } = "";

    [Id(8)] public string Model { get; init; } = "";
}

/// <summary>Why a generation ended.</summary>
[GenerateSerializer, Alias("slm.PieceFinishReason")]
public enum PieceFinishReason
{
    Unspecified = 0,
    Stop = 1,
    Length = 2,
    Cancelled = 3,
}
