using Microsoft.AspNetCore.RateLimiting;

namespace SlmCluster.Gateway.Security;

/// <summary>
/// Charges what a generation used to its tenant's token budget once its endpoint has finished (before the response
/// completes, so the caller's next request already sees the charge), for every endpoint under
/// <see cref="TenantRateLimitPolicy"/>, gRPC or HTTP.
/// </summary>
public sealed class TokenBudgetMiddleware(RequestDelegate next, TenantRateLimitPolicy limits)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName != TenantRateLimitPolicy.Name
            || limits.TokenBudgetOf(ApiKeyAuthenticationHandler.TenantOf(context.User)) is not { } budget)
        {
            await next(context);
            return;
        }

        var usage = new TokenUsageFeature();
        context.Features.Set(usage);
        try
        {
            await next(context);
        }
        finally
        {
            budget.Charge(usage.Tokens);
        }
    }
}
