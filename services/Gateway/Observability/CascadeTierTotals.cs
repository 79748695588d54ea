namespace SlmCluster.Gateway.Observability;

/// <summary>How one tier of a route has fared since the gateway started: its attempts by outcome.</summary>
public sealed class CascadeTierTotals
{
    /// <summary>1-based place in the route.</summary>
    public required int Tier { get; init; }

    public required string Name { get; init; }

    public long Accepted { get; init; }

    public long Escalated { get; init; }

    public long Skipped { get; init; }

    public long Errors { get; init; }
}
