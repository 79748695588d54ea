using System.ComponentModel.DataAnnotations;

namespace SlmCluster.Gateway.Costs;

/// <summary>A paid API's list price, in USD per million tokens.</summary>
public sealed class ReferenceApiPrice
{
    /// <summary>How the dashboard names it, e.g. "GPT-5.4".</summary>
    public string Name { get; set; } = "";

    [Range(0, 1_000_000)]
    public double InputPerMillion { get; set; }

    [Range(0, 1_000_000)]
    public double OutputPerMillion { get; set; }

    /// <summary>What <paramref name="promptTokens"/> in and <paramref name="completionTokens"/> out cost at this price.</summary>
    public double CostOf(long promptTokens, long completionTokens) =>
        (promptTokens * InputPerMillion + completionTokens * OutputPerMillion) / 1_000_000;
}
