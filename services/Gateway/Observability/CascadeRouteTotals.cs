namespace SlmCluster.Gateway.Observability;

/// <summary>A cascade route since the gateway started, for the dashboard (<c>/api/stats</c>, <c>cascade</c>).</summary>
/// <param name="Requests">Requests the route ran (cache hits are the cache's, not counted here).</param>
/// <param name="Escalated">Requests a tier after the first answered (or that failed past the first).</param>
/// <param name="EscalationRate"><paramref name="Escalated"/> over <paramref name="Requests"/>; 0 before the first request.</param>
/// <param name="CostUsd">What the requests cost: every tier that ran, self-hosted and external.</param>
/// <param name="LastTierCostUsd">What the same requests would have cost on the route's last tier alone.</param>
/// <param name="SavedUsd"><paramref name="LastTierCostUsd"/> minus <paramref name="CostUsd"/>.</param>
public sealed record CascadeRouteTotals(
    string Route,
    long Requests,
    long Escalated,
    double EscalationRate,
    double CostUsd,
    double LastTierCostUsd,
    double SavedUsd,
    IReadOnlyList<CascadeTierTotals> Tiers);
