namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// <c>slm_cost</c>, beside OpenAI's fields: what this answer cost to serve here, what the same tokens would have cost at
/// the configured reference API, and the difference.
/// </summary>
public sealed class OpenAiCost
{
    /// <summary>Self-hosted cost of the worker time the request used (0 for a cache hit).</summary>
    public double CostUsd { get; init; }

    /// <summary>The reference API's id (<c>Gateway:Cost:DefaultApi</c>).</summary>
    public required string ReferenceApi { get; init; }

    public double ReferenceApiCostUsd { get; init; }

    /// <summary>Reference cost minus self-hosted cost.</summary>
    public double SavedUsd { get; init; }

    public bool CacheHit { get; init; }

    /// <summary>The cost the closing chunk's <paramref name="served"/> carries, or null when there was none.</summary>
    public static OpenAiCost? From(Protocol.V1.Served? served, string referenceApi) => served is null ? null : new()
    {
        CostUsd = served.CostUsd,
        ReferenceApi = referenceApi,
        ReferenceApiCostUsd = served.ReferenceApiCostUsd,
        SavedUsd = served.ReferenceApiCostUsd - served.CostUsd,
        CacheHit = served.CacheHit,
    };
}
