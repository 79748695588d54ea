using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using SlmCluster.Gateway.Caching;
using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Costs;
using SlmCluster.Redis;
using SlmCluster.SiloConfiguration;
using SlmCluster.Worker.Configuration;
using SlmCluster.Worker.Costs;
using GatewayOptions = SlmCluster.Gateway.Configuration.GatewayOptions;

namespace SlmCluster.IntegrationTests.Settings;

/// <summary>
/// Reads an environment the way a service started with it would: as configuration (<c>__</c> for <c>:</c>), bound by
/// the service's own registrations (<c>AddModelWorker</c>; <c>AddSlmSilo</c> and the gateway's options) in a host that is
/// built but never started, then checked by every validator the service runs at start and by Orleans' own.
/// </summary>
internal static class ServiceEnvironment
{
    /// <summary>The configuration sections each service binds to an options type of its own.</summary>
    private static readonly IReadOnlyDictionary<ServiceKind, (string Section, Type Options)[]> Sections = new Dictionary<ServiceKind, (string, Type)[]>
    {
        [ServiceKind.Worker] =
        [
            (WorkerOptions.SectionName, typeof(WorkerOptions)),
            (WorkerCostOptions.SectionName, typeof(WorkerCostOptions)),
            ("Orleans:Membership", typeof(ClusterMembershipOptions)),
        ],
        [ServiceKind.Gateway] =
        [
            (GatewayOptions.SectionName, typeof(GatewayOptions)),
            (CacheOptions.SectionName, typeof(CacheOptions)),
            (CostOptions.SectionName, typeof(CostOptions)),
            (CascadeOptions.SectionName, typeof(CascadeOptions)),
            ("Redis", typeof(RedisOptions)),
            ("Orleans:Membership", typeof(ClusterMembershipOptions)),
        ],
    };

    /// <summary>
    /// What <paramref name="service"/> would make of <paramref name="environment"/>: each variable no part of it reads,
    /// and each value it would refuse at start. Empty when the service reads all of it and starts.
    /// </summary>
    public static IReadOnlyList<string> Problems(ServiceKind service, IReadOnlyDictionary<string, string> environment)
    {
        var problems = new List<string>();
        var settings = environment.ToDictionary(e => e.Key.Replace("__", ":", StringComparison.Ordinal), e => (string?)e.Value, StringComparer.OrdinalIgnoreCase);
        UnreadKeys(service, environment.Keys, settings, problems);
        RefusedValues(service, settings, problems);
        return problems;
    }

    /// <summary>
    /// Every key must be one a library reads (<see cref="LibraryKeys"/>) or lie in a section the service binds, and
    /// bind there to a property: each section's keys, less those of a section nested in it, are bound with the
    /// binder's <see cref="BinderOptions.ErrorOnUnknownConfiguration"/>, which names a key that matches nothing.
    /// </summary>
    private static void UnreadKeys(ServiceKind service, IEnumerable<string> variables, Dictionary<string, string?> settings, List<string> problems)
    {
        var sections = Sections[service];
        string? SectionOf(string key) => sections.Select(s => s.Section)
            .Where(s => key.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase))
            .MaxBy(s => s.Length);

        var claimed = new Dictionary<string, Dictionary<string, string?>>(StringComparer.OrdinalIgnoreCase);
        foreach (var variable in variables)
        {
            if (LibraryKeys.ReaderOf(variable) is not null)
            {
                continue;
            }

            var key = variable.Replace("__", ":", StringComparison.Ordinal);
            if (SectionOf(key) is not { } section)
            {
                problems.Add($"{variable}: no setting of the {service.ToString().ToLowerInvariant()} reads it");
                continue;
            }

            if (!claimed.TryGetValue(section, out var keys))
            {
                claimed[section] = keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            }

            keys[key] = settings[key];
        }

        foreach (var (section, keys) in claimed)
        {
            var options = sections.Single(s => s.Section == section).Options;
            try
            {
                new ConfigurationBuilder().AddInMemoryCollection(keys).Build().GetSection(section)
                    .Get(options, binder => binder.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException e)
            {
                problems.Add($"{section} ({options.Name}): {e.Message}");
            }
        }
    }

    /// <summary>
    /// The values, as the service's registrations take them: its host is built (Orleans' providers are found by their
    /// type then) and not started; every options type it validates at start is validated, Orleans' options are bound
    /// and Orleans' configuration validators run, as a starting silo runs them.
    /// </summary>
    private static void RefusedValues(ServiceKind service, Dictionary<string, string?> settings, List<string> problems)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        IHost host;
        try
        {
            if (service == ServiceKind.Worker)
            {
                builder.AddModelWorker();
            }
            else
            {
                builder.AddSlmSilo("gateway");
                builder.Services.AddGatewayOptions();
                builder.Services.AddCascadeRoutes(builder.Configuration);
                builder.AddRedisClient(ClusterSettings.RedisName);
            }

            host = builder.Build();
        }
        catch (Exception e) when (e is InvalidOperationException or OrleansConfigurationException)
        {
            problems.Add($"the {service.ToString().ToLowerInvariant()} does not build: {e.Message}");
            return;
        }

        using (host)
        {
            Check(problems, () => host.Services.GetRequiredService<IStartupValidator>().Validate());
            Check(problems, () => _ = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value);
            Check(problems, () => _ = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value);
            Check(problems, () => _ = host.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value);
            foreach (var validator in host.Services.GetServices<IConfigurationValidator>())
            {
                Check(problems, validator.ValidateConfiguration);
            }
        }
    }

    private static void Check(List<string> problems, Action read)
    {
        try
        {
            read();
        }
        catch (OptionsValidationException e)
        {
            problems.AddRange(e.Failures);
        }
        catch (AggregateException e)
        {
            problems.AddRange(e.InnerExceptions.SelectMany(i => i is OptionsValidationException o ? o.Failures : [i.Message]));
        }
        catch (Exception e) when (e is InvalidOperationException or OrleansConfigurationException or FormatException)
        {
            problems.Add(e.Message);
        }
    }
}
