namespace SlmCluster.Gateway.Observability;

/// <summary>A cascade route since the gateway started, for the dashboard (<c>/api/stats</c>, <c>cascade</c>).</summary>
public sealed class CascadeRouteTotals
{
    public required string Route { get; init; }

    /// <summary>Requests the route ran (cache hits are the cache's, not counted here).</summary>
    public long Requests { get; init; }

    /// <summary>Requests a tier after the first answered (or that failed past the first).</summary>
    public long Escalated { get; init; }

    /// <summary><see cref="Escalated"/> over <see cref="Requests"/>; 0 before the first request.</summary>
    public double EscalationRate { get; init; }

    /// <summary>What the requests cost: every tier that ran, self-hosted and external.</summary>
    public double CostUsd { get; init; }

    /// <summary>What the same requests would have cost on the route's last tier alone.</summary>
    public double LastTierCostUsd { get; init; }

    /// <summary><see cref="LastTierCostUsd"/> minus <see cref="CostUsd"/>.</summary>
    public double SavedUsd { get; init; }

    public required IReadOnlyList<CascadeTierTotals> Tiers { get; init; }
}
