namespace SlmCluster.Gateway.Configuration;

/// <summary>One tenant's limits under <c>Gateway:RateLimits:Tenants:&lt;tenant&gt;</c>; null takes the default.</summary>
public sealed class TenantRateLimitOptions
{
    public int? RequestsPerMinute { get; set; }

    public int? RequestBurst { get; set; }

    public int? TokensPerMinute { get; set; }
}
