using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Observability;

namespace SlmCluster.Gateway.Shadows;

/// <summary>Registers the shadow comparison of <c>Gateway:Shadow</c>: its options (validated at start), targets, metrics and a named HttpClient per external reference.</summary>
public static class ShadowServiceCollectionExtensions
{
    public static IServiceCollection AddShadowComparison(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ShadowOptions>().BindConfiguration(ShadowOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShadowOptions>, ShadowOptionsValidator>();
        services.AddSingleton<ShadowTargets>();
        services.AddSingleton<ShadowStats>();
        services.AddSingleton<ShadowMetrics>();
        services.AddSingleton<ShadowComparer>();

        Dictionary<string, ShadowTargetOptions> targets;
        try
        {
            targets = configuration.GetSection(ShadowOptions.SectionName).Get<ShadowOptions>()?.Targets ?? [];
        }
        catch (InvalidOperationException)
        {
            // A value that does not bind: the options' own binding at start reports it, naming the key.
            targets = [];
        }

        foreach (var (target, config) in targets)
        {
            if (config.External is { } external)
            {
                CascadeServiceCollectionExtensions.AddExternalTierClient(services, CascadeTier.HttpClientNameOf(ShadowTarget.HttpClientRouteOf(target), 0), external.Timeout);
            }
        }

        return services;
    }
}
