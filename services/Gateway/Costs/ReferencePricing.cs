using Microsoft.Extensions.Options;

namespace SlmCluster.Gateway.Costs;

/// <summary>Prices a request's tokens at the configured paid APIs' list prices.</summary>
public sealed class ReferencePricing(IOptions<CostOptions> options)
{
    /// <summary>The API responses report (<c>served.reference_api_cost_usd</c>).</summary>
    public string DefaultApi => options.Value.DefaultApi;

    public ReferenceApiPrice DefaultPrice => options.Value.ReferenceApis[options.Value.DefaultApi];

    public IReadOnlyDictionary<string, ReferenceApiPrice> Apis => options.Value.ReferenceApis;

    /// <summary>What <paramref name="tokens"/> embedded tokens cost at the reference embeddings price.</summary>
    public double EmbeddingsCostOf(long tokens) => tokens * options.Value.EmbeddingsPerMillion / 1_000_000;

    /// <summary>What the same tokens would have cost at the default API.</summary>
    public double DefaultCostOf(long promptTokens, long completionTokens) => DefaultPrice.CostOf(promptTokens, completionTokens);
}
