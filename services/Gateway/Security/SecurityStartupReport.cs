using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Configuration;

namespace SlmCluster.Gateway.Security;

/// <summary>Says at start how exposed the gateway is: who may call it, and what limits them.</summary>
public sealed partial class SecurityStartupReport(
    ApiKeyTenants keys,
    TenantRateLimitPolicy limits,
    IOptions<GatewayOptions> options,
    ILogger<SecurityStartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (keys.IsEnabled)
        {
            LogKeys(logger, o.ApiKeys.Count, string.Join(", ", o.ApiKeys.Select(k => k.Tenant).Distinct(StringComparer.Ordinal)));
        }
        else
        {
            LogNoAuth(logger);
        }

        if (limits.IsEnabled)
        {
            LogRateLimits(logger, o.RateLimits.RequestsPerMinute, o.RateLimits.TokensPerMinute, o.RateLimits.Tenants.Count);
        }
        else
        {
            LogNoRateLimits(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "No API keys are configured (Gateway:ApiKeys): the gateway serves every caller WITHOUT authentication. Configure keys before exposing it")]
    private static partial void LogNoAuth(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "API keys required: {Count} keys for tenants {Tenants}")]
    private static partial void LogKeys(ILogger logger, int count, string tenants);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate limits per tenant: {RequestsPerMinute} requests/min, {TokensPerMinute} tokens/min (0 = off), {Overrides} tenant overrides")]
    private static partial void LogRateLimits(ILogger logger, int requestsPerMinute, int tokensPerMinute, int overrides);

    [LoggerMessage(Level = LogLevel.Information, Message = "No rate limits are configured (Gateway:RateLimits)")]
    private static partial void LogNoRateLimits(ILogger logger);
}
