namespace SlmCluster.Gateway.Cascade;

/// <summary>
/// The money side of a cascade request. Its cost is what every tier that ran cost: a self-hosted tier what its worker
/// reported (its share of the worker's time), an external tier its prices times the tokens its <c>usage</c> reported.
/// What the request would have cost on the route's last tier alone is that tier's actual cost when it answered;
/// otherwise an estimate over the answering tier's prompt and completion tokens: an external last tier at its prices;
/// a self-hosted one at the USD per token it has averaged on this gateway when it ran (prompt and completion tokens
/// together), and, before it ever ran, at the answering tier's own cost (no saving is claimed without a measurement).
/// </summary>
public static class CascadeCosts
{
    /// <param name="lastTier">The route's last tier.</param>
    /// <param name="lastTierActualCostUsd">Its cost when it answered this request; null when another tier answered.</param>
    /// <param name="promptTokens">The answering tier's prompt tokens.</param>
    /// <param name="completionTokens">The answering tier's completion tokens.</param>
    /// <param name="answeringCostUsd">What the answering tier cost.</param>
    /// <param name="lastTierUsdPerToken">What a self-hosted last tier has averaged per token; null before it ran.</param>
    public static double LastTierCost(CascadeTier lastTier, double? lastTierActualCostUsd, int promptTokens, int completionTokens,
        double answeringCostUsd, double? lastTierUsdPerToken)
    {
        if (lastTierActualCostUsd is { } actual)
        {
            return actual;
        }

        if (lastTier.External is { } external)
        {
            return external.CostOf(promptTokens, completionTokens);
        }

        return lastTierUsdPerToken is { } rate ? rate * (promptTokens + (long)completionTokens) : answeringCostUsd;
    }
}
