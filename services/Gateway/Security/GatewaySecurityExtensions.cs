using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.RateLimiting;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Security;

/// <summary>
/// API keys and per-tenant limits on one path for both front doors: ASP.NET Core authentication (the API key scheme),
/// authorization (a tenant is required) and rate limiting (<see cref="TenantRateLimitPolicy"/>) serve gRPC calls and
/// HTTP requests alike.
/// </summary>
public static class GatewaySecurityExtensions
{
    /// <summary>The methods of <c>slm.v1.Inference</c> that generate, and so count against a tenant's limits.</summary>
    private static readonly HashSet<string> GrpcGenerations =
        [nameof(Inference.InferenceBase.Generate), nameof(Inference.InferenceBase.GenerateStream)];

    public static IServiceCollection AddGatewaySecurity(this IServiceCollection services)
    {
        services.AddSingleton<ApiKeyTenants>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, configureOptions: null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyAuthenticationHandler.TenantPolicy, policy => policy
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireClaim(ApiKeyAuthenticationHandler.TenantClaim));

        services.AddSingleton<TenantRateLimitPolicy>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>()
            .Configure<TenantRateLimitPolicy>((options, policy) => options.AddPolicy(TenantRateLimitPolicy.Name, policy));
        // The serving path finds the request's TokenUsageFeature through it.
        services.AddHttpContextAccessor();

        services.AddHostedService<SecurityStartupReport>();
        return services;
    }

    /// <summary>Authentication, then authorization (so a refused caller uses no permit), then the tenant's limits.</summary>
    public static IApplicationBuilder UseGatewaySecurity(this IApplicationBuilder app) => app
        .UseAuthentication()
        .UseAuthorization()
        .UseRateLimiter()
        .UseMiddleware<TokenBudgetMiddleware>();

    /// <summary>A tenant, and its rate limits, for an endpoint that generates.</summary>
    public static TBuilder RequireTenantLimits<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder => endpoint
        .RequireAuthorization(ApiKeyAuthenticationHandler.TenantPolicy)
        .RequireRateLimiting(TenantRateLimitPolicy.Name);

    /// <summary>A tenant for every method of the service; its rate limits on those that generate.</summary>
    public static GrpcServiceEndpointConventionBuilder RequireTenantLimits(this GrpcServiceEndpointConventionBuilder service)
    {
        service.RequireAuthorization(ApiKeyAuthenticationHandler.TenantPolicy);
        service.Add(endpoint =>
        {
            if (endpoint.Metadata.OfType<GrpcMethodMetadata>().FirstOrDefault() is { } method && GrpcGenerations.Contains(method.Method.Name))
            {
                endpoint.Metadata.Add(new EnableRateLimitingAttribute(TenantRateLimitPolicy.Name));
            }
        });
        return service;
    }
}
