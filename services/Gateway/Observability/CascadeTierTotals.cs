namespace SlmCluster.Gateway.Observability;

/// <summary>How one tier of a route has fared since the gateway started: its attempts by outcome.</summary>
/// <param name="Tier">1-based place in the route.</param>
public sealed record CascadeTierTotals(int Tier, string Name, long Accepted, long Escalated, long Skipped, long Errors);
