namespace SlmCluster.Gateway.Costs;

/// <summary>
/// The "Gateway:Cost" section: the paid APIs a request's tokens are priced against (list prices per million input and
/// output tokens), and the one each response reports in <c>served.reference_api_cost_usd</c>.
/// </summary>
public sealed class CostOptions
{
    public const string SectionName = "Gateway:Cost";

    /// <summary>The id in <see cref="ReferenceApis"/> responses and the dashboard compare against.</summary>
    public string DefaultApi { get; set; } = "gpt-5.4";

    /// <summary>
    /// Paid APIs by id (the <c>api</c> label of <c>slm_reference_api_cost_usd_total</c>). Configuration adds entries
    /// or overrides these defaults' prices.
    /// </summary>
    /// <summary>
    /// The reference price of embeddings, USD per million input tokens (OpenAI's text-embedding-3-small list price by
    /// default), that embedding requests are priced against in <c>served.reference_api_cost_usd</c> and
    /// <c>slm_embeddings_reference_api_cost_usd_total</c>.
    /// </summary>
    public double EmbeddingsPerMillion { get; set; } = 0.02;

    public Dictionary<string, ReferenceApiPrice> ReferenceApis { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-5.4"] = new() { Name = "GPT-5.4", InputPerMillion = 2.50, OutputPerMillion = 15.00 },
        ["gpt-5.4-mini"] = new() { Name = "GPT-5.4 Mini", InputPerMillion = 0.75, OutputPerMillion = 4.50 },
        ["claude-haiku-4.5"] = new() { Name = "Claude Haiku 4.5", InputPerMillion = 1.00, OutputPerMillion = 5.00 },
        ["claude-opus-4.7"] = new() { Name = "Claude Opus 4.7", InputPerMillion = 5.00, OutputPerMillion = 25.00 },
    };
}
