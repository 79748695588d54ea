using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Observability;

namespace SlmCluster.Gateway.Cascade;

/// <summary>Registers the cascade routes of <c>Gateway:Cascade</c>: their options (validated at start), the runner, and a named HttpClient per external tier.</summary>
public static class CascadeServiceCollectionExtensions
{
    public static IServiceCollection AddCascadeRoutes(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CascadeOptions>()
            .BindConfiguration(CascadeOptions.SectionName)
            .PostConfigure<IConfiguration>((options, config) => KeepEmptyRules(options, config.GetSection(CascadeOptions.SectionName)))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<CascadeOptions>>(sp =>
            new CascadeOptionsValidator(sp.GetRequiredService<IConfiguration>().GetSection(CascadeOptions.SectionName)));
        services.AddSingleton<CascadeRoutes>();
        services.AddSingleton<CascadeStats>();
        services.AddSingleton<CascadeMetrics>();
        services.AddSingleton<CascadeRunner>();
        services.AddSingleton<ExternalTierClient>();

        // The clients are named at start from the configuration as it is then; what the validator refuses stops the
        // gateway before any is made, so odd values only need to keep registration itself from throwing.
        Dictionary<string, CascadeRouteOptions> routes;
        try
        {
            routes = configuration.GetSection(CascadeOptions.SectionName).Get<CascadeOptions>()?.Routes ?? [];
        }
        catch (InvalidOperationException)
        {
            // A value that does not bind: the options' own binding at start reports it, naming the key.
            routes = [];
        }

        foreach (var (route, config) in routes)
        {
            for (var i = 0; i < config.Tiers.Count; i++)
            {
                if (config.Tiers[i].External is { } external)
                {
                    AddExternalTierClient(services, CascadeTier.HttpClientNameOf(route, i), external.Timeout);
                }
            }
        }

        return services;
    }

    /// <summary>
    /// An external tier's client: the service defaults' resilience handler replaced by one whose total and attempt
    /// timeouts are the tier's Timeout, with no retry of the POST (a generation is neither idempotent nor cheap, and
    /// a stream that has begun cannot be taken back). The client itself has no timeout of its own: the tier's bounds
    /// the whole exchange, body included.
    /// </summary>
    internal static void AddExternalTierClient(IServiceCollection services, string name, TimeSpan timeout)
    {
        var bounded = timeout < CascadeOptionsValidator.MinExternalTimeout || timeout > CascadeOptionsValidator.MaxExternalTimeout
            ? TimeSpan.FromSeconds(30)
            : timeout;
        // RemoveAllResilienceHandlers is marked experimental; it is the documented way to replace the handler every
        // client gets from the service defaults (stacking a second one would keep the default's 10 s attempt timeout).
#pragma warning disable EXTEXP0001
        services.AddHttpClient(name, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllResilienceHandlers()
#pragma warning restore EXTEXP0001
            .AddStandardResilienceHandler(resilience =>
            {
                resilience.TotalRequestTimeout.Timeout = bounded;
                resilience.AttemptTimeout.Timeout = bounded;
                resilience.Retry.DisableForUnsafeHttpMethods();
                // The breaker's sampling window must be at least twice an attempt's timeout.
                var window = bounded * 2 + TimeSpan.FromSeconds(1);
                if (resilience.CircuitBreaker.SamplingDuration < window)
                {
                    resilience.CircuitBreaker.SamplingDuration = window;
                }
            });
    }

    /// <summary>
    /// An acceptance rule with no thresholds (<c>"Accept": {}</c>, or <c>--...:Accept=</c> on a command line) binds to
    /// nothing, as configuration keeps no empty sections; it is a rule all the same, one that accepts any answer.
    /// </summary>
    internal static void KeepEmptyRules(CascadeOptions options, IConfiguration section)
    {
        foreach (var (route, config) in options.Routes)
        {
            for (var i = 0; i < config.Tiers.Count; i++)
            {
                // JSON's {} leaves the key with no value, which Exists() does not count; the tier's children still list it.
                if (config.Tiers[i].Accept is null && section.GetSection($"Routes:{route}:Tiers:{i}").GetChildren()
                        .Any(c => string.Equals(c.Key, nameof(CascadeTierOptions.Accept), StringComparison.OrdinalIgnoreCase)))
                {
                    config.Tiers[i].Accept = new CascadeAcceptOptions();
                }
            }
        }
    }
}
