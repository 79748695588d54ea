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
}

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
