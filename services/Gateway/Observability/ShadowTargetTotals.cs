namespace SlmCluster.Gateway.Observability;

/// <summary>A shadowed route or model since the gateway started: its shadows by outcome, what its reference cost, and mean agreement by metric label.</summary>
public sealed record ShadowTargetTotals(
    string Route,
    string Reference,
    double Rate,
    long Started,
    long Scored,
    long Failed,
    long Shed,
    double ReferenceCostUsd,
    IReadOnlyDictionary<string, double> Agreement,
    IReadOnlyList<ShadowTierTotals> Tiers);
