using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// <c>slm_cascade</c>, beside <c>slm_cost</c> when the request named a cascade route: which tier answered and why,
/// what the whole request cost against the route's last tier alone, and every tier tried. The fields of
/// <c>served.cascade</c> in snake case.
/// </summary>
public sealed class OpenAiCascade
{
    public required string Route { get; init; }

    /// <summary>1-based place of the answering tier.</summary>
    public int Tier { get; init; }

    public required string TierName { get; init; }

    public required string Model { get; init; }

    public double MeanLogprob { get; init; }

    public double MinLogprob { get; init; }

    public bool Escalated { get; init; }

    public required string Reason { get; init; }

    public double LastTierCostUsd { get; init; }

    public required IReadOnlyList<OpenAiCascadeAttempt> Attempts { get; init; }

    /// <summary>The record the closing chunk's <paramref name="served"/> carries, or null when the request named a model.</summary>
    public static OpenAiCascade? From(Served? served) => served?.Cascade is not { } cascade ? null : new()
    {
        Route = cascade.Route,
        Tier = cascade.Tier,
        TierName = cascade.TierName,
        Model = cascade.Model,
        MeanLogprob = cascade.MeanLogprob,
        MinLogprob = cascade.MinLogprob,
        Escalated = cascade.Escalated,
        Reason = cascade.Reason,
        LastTierCostUsd = cascade.LastTierCostUsd,
        Attempts = cascade.Attempts.Select(a => new OpenAiCascadeAttempt
        {
            Tier = a.Tier,
            TierName = a.TierName,
            Model = a.Model,
            Outcome = a.Outcome,
            MeanLogprob = a.MeanLogprob,
            MinLogprob = a.MinLogprob,
            CostUsd = a.CostUsd,
            PromptTokens = a.PromptTokens,
            CompletionTokens = a.CompletionTokens,
            TotalMs = a.TotalMs,
        }).ToArray(),
    };
}
