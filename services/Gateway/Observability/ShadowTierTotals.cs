namespace SlmCluster.Gateway.Observability;

/// <summary>The scored pairs of one answering tier and model of a shadowed target, and their mean agreement by metric label.</summary>
public sealed record ShadowTierTotals(string Tier, string Model, long Pairs, IReadOnlyDictionary<string, double> Agreement);
