using SlmCluster.Gateway.Cascade;

namespace SlmCluster.Gateway.Shadows;

/// <summary>One shadowed route or model: how often, how many at once, and the reference its answers are compared with.</summary>
public sealed class ShadowTargetOptions
{
    /// <summary>The share of its answered requests that are shadowed, in [0, 1] (0.02: one in fifty).</summary>
    public double Rate { get; set; }

    /// <summary>This target's shadows running at once; one more is shed.</summary>
    public int MaxConcurrent { get; set; } = 2;

    /// <summary>A larger model of the cluster as the reference.</summary>
    public string? ReferenceModel { get; set; }

    /// <summary>An OpenAI-compatible endpoint (a flagship) as the reference; its price is the price of knowing.</summary>
    public ExternalTierOptions? External { get; set; }
}
