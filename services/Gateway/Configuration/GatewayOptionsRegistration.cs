using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Caching;
using SlmCluster.Gateway.Costs;

namespace SlmCluster.Gateway.Configuration;

/// <summary>The gateway's own configuration sections, bound and validated at start.</summary>
public static class GatewayOptionsRegistration
{
    /// <summary>Binds <c>Gateway</c>, <c>Gateway:Cache</c> and <c>Gateway:Cost</c>, with their validators; a value they refuse stops the gateway at start.</summary>
    public static IServiceCollection AddGatewayOptions(this IServiceCollection services)
    {
        services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CostOptions>().BindConfiguration(CostOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<CostOptions>, CostOptionsValidator>();
        return services;
    }
}
