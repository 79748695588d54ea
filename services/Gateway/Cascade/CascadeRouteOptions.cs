namespace SlmCluster.Gateway.Cascade;

/// <summary>One route: its tiers, cheapest first, and what happens when the last one fails.</summary>
public sealed class CascadeRouteOptions
{
    /// <summary>Tried in order; every tier but the last has an <see cref="CascadeTierOptions.Accept"/> rule.</summary>
    public List<CascadeTierOptions> Tiers { get; set; } = [];

    public LastTierFailure OnLastTierFailure { get; set; } = LastTierFailure.Error;
}
