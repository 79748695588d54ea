using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;
using SlmCluster.Contracts;
using SlmCluster.Contracts.Placement;
using SlmCluster.Settings;

namespace SlmCluster.SiloConfiguration;

/// <summary>Makes a service an SlmCluster silo: Redis membership, the worker grain directory, fast failure detection.</summary>
public static class SiloApplicationBuilderExtensions
{
    /// <summary>
    /// Hosts an Orleans silo in this process, configured from the <c>Orleans</c> section the way Aspire hands it over
    /// (<c>Orleans:Clustering</c>, <c>Orleans:GrainDirectory:workers</c>, <c>Orleans:Endpoints</c>, ids), with the
    /// cluster's own settings (<see cref="ClusterSettings"/>) where it is silent: its cluster and service id,
    /// membership and the worker grain directory in the Redis of <c>ConnectionStrings:redis</c>, its silo port, no
    /// client gateway port.
    /// </summary>
    /// <exception cref="InvalidOperationException">No Redis is configured for membership.</exception>
    /// <param name="siloName">The silo's name in membership and the Orleans dashboard, unless <c>Orleans:Name</c> (or the pod's name) sets one.</param>
    public static IHostApplicationBuilder AddSlmSilo(this IHostApplicationBuilder builder, string siloName, Action<ISiloBuilder>? configure = null)
    {
        var configuration = builder.Configuration;
        var orleans = configuration.GetSection("Orleans");
        var defaults = new Dictionary<string, string?>();
        void Default(string key, string value)
        {
            if (string.IsNullOrEmpty(orleans[key]))
            {
                defaults[$"Orleans:{key}"] = value;
            }
        }

        Default("Name", siloName);
        Default("ClusterId", ClusterSettings.ClusterId);
        Default("ServiceId", ClusterSettings.ServiceId);
        if (!orleans.GetSection("Clustering").Exists())
        {
            defaults["Orleans:Clustering:ProviderType"] = ClusterSettings.RedisProvider;
            defaults["Orleans:Clustering:ConnectionName"] = ClusterSettings.RedisName;
        }

        if (!orleans.GetSection($"GrainDirectory:{WorkerGrainKey.Directory}").Exists())
        {
            // The worker grains' directory entries live in Redis, not on a silo: a worker silo that dies takes only its
            // own grain with it, never the entry of a grain on a silo that survives.
            var clustering = orleans.GetSection("Clustering");
            defaults[$"Orleans:GrainDirectory:{WorkerGrainKey.Directory}:ProviderType"] = ClusterSettings.RedisProvider;
            foreach (var key in new[] { "ConnectionName", "ConnectionString", "ServiceKey" })
            {
                if (clustering[key] is { Length: > 0 } value)
                {
                    defaults[$"Orleans:GrainDirectory:{WorkerGrainKey.Directory}:{key}"] = value;
                }
            }

            if (!clustering.Exists())
            {
                defaults[$"Orleans:GrainDirectory:{WorkerGrainKey.Directory}:ConnectionName"] = ClusterSettings.RedisName;
            }
        }

        Default("Endpoints:SiloPort", ClusterSettings.Ports.Silo.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Default("Endpoints:GatewayPort", "0");
        if (defaults.Count > 0)
        {
            configuration.AddInMemoryCollection(defaults);
        }

        RequireRedis(configuration);

        builder.UseOrleans(silo =>
        {
            silo.Services.AddPlacementDirector<SiloPinnedPlacement, SiloPinnedPlacementDirector>();
            silo.Services.AddOptions<ClusterMembershipOptions>()
                .Configure(o =>
                {
                    o.ProbeTimeout = SiloOptionsDefaults.ProbeTimeout;
                    o.NumMissedProbesLimit = SiloOptionsDefaults.MissedProbesLimit;
                    o.NumVotesForDeathDeclaration = SiloOptionsDefaults.VotesForDeathDeclaration;
                    // A silo that died is marked dead in the table by the one that noticed; the others read it at once
                    // through gossip, and through the table at this pace when gossip is lost.
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
                    o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
                    o.DefunctSiloExpiration = TimeSpan.FromHours(1);
                })
                .Bind(configuration.GetSection("Orleans:Membership"));
            silo.Services.Configure<GrainDirectoryOptions>(o => o.CacheSize = SiloOptionsDefaults.DirectoryCacheSize);
            silo.AddActivityPropagation();
            if (Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is { Length: > 0 }
                && Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 })
            {
                // In a pod: named after the pod, advertising the pod's IP, watching silo pods through the API.
                silo.UseKubernetesHosting();
            }

            if (configuration.GetValue("Orleans:Dashboard:Enabled", true))
            {
                silo.AddDashboard();
            }

            configure?.Invoke(silo);
        });
        return builder;
    }

    private static void RequireRedis(IConfiguration configuration)
    {
        var clustering = configuration.GetSection("Orleans:Clustering");
        if (!string.Equals(clustering["ProviderType"], ClusterSettings.RedisProvider, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        if (clustering["ServiceKey"] is { Length: > 0 } || clustering["ConnectionString"] is { Length: > 0 })
        {
            return;
        }

        var name = clustering["ConnectionName"] ?? ClusterSettings.RedisName;
        if (string.IsNullOrWhiteSpace(configuration.GetConnectionString(name)))
        {
            throw new InvalidOperationException(
                $"The cluster keeps its membership in Redis, and no Redis is configured: set ConnectionStrings:{name} (ConnectionStrings__{name}=host:port,password=...) or Orleans:Clustering:ConnectionString.");
        }
    }
}
