namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>One tier's attempt in <c>slm_cascade.attempts</c>.</summary>
public sealed class OpenAiCascadeAttempt
{
    public int Tier { get; init; }

    public required string TierName { get; init; }

    public required string Model { get; init; }

    /// <summary>accepted, escalated, skipped or error.</summary>
    public required string Outcome { get; init; }

    public double MeanLogprob { get; init; }

    public double MinLogprob { get; init; }

    public double CostUsd { get; init; }

    public int PromptTokens { get; init; }

    public int CompletionTokens { get; init; }

    public double TotalMs { get; init; }
}
