namespace SlmCluster.Gateway.Configuration;

/// <summary>The <c>Gateway:RateLimits</c> section: limits every tenant gets, with per-tenant overrides.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Generation requests a tenant may start per minute; 0 turns the limit off.</summary>
    public int RequestsPerMinute { get; set; }

    /// <summary>Requests a tenant may start at once after being idle; 0 means <see cref="RequestsPerMinute"/>.</summary>
    public int RequestBurst { get; set; }

    /// <summary>Prompt plus completion tokens a tenant may use per minute; 0 turns the budget off.</summary>
    public int TokensPerMinute { get; set; }

    /// <summary>Overrides by tenant name; a value left out (or 0 where the default is set) falls back to the defaults above.</summary>
    public Dictionary<string, TenantRateLimitOptions> Tenants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The limits that apply to <paramref name="tenant"/>.</summary>
    public TenantRateLimitOptions For(string tenant)
    {
        Tenants.TryGetValue(tenant, out var own);
        return new TenantRateLimitOptions
        {
            RequestsPerMinute = own?.RequestsPerMinute ?? RequestsPerMinute,
            RequestBurst = own?.RequestBurst ?? RequestBurst,
            TokensPerMinute = own?.TokensPerMinute ?? TokensPerMinute,
        };
    }
}
