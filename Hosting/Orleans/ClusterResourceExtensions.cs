using Aspire.Hosting.Orleans;

namespace SlmCluster.Hosting;

internal static class ClusterResourceExtensions
{
    /// <summary>The cluster and service id every silo shares, here and in published manifests.</summary>
    public const string ClusterId = "slmcluster";

    /// <summary>The grain directory the worker grains register in (<c>WorkerGrainKey.Directory</c>).</summary>
    public const string WorkerDirectory = "workers";

    /// <summary>
    /// The Orleans cluster the gateway and the workers join: membership and the worker grains' directory in
    /// <paramref name="redis"/>.
    /// </summary>
    public static OrleansService AddSlmCluster(this IDistributedApplicationBuilder builder, string name, IResourceBuilder<IResourceWithConnectionString> redis)
    {
        var provider = new RedisProviderConfiguration(redis);
        return builder.AddOrleans(name)
            .WithClusterId(ClusterId)
            .WithServiceId(ClusterId)
            .WithClustering(provider)
            .WithGrainDirectory(WorkerDirectory, provider);
    }

    /// <summary>
    /// Makes a project a silo of <paramref name="cluster"/>. Silos on this machine advertise loopback: they reach each
    /// other directly on their own silo ports, never through a proxy.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AsSiloOf(this IResourceBuilder<ProjectResource> project, OrleansService cluster, bool publishing)
    {
        project.WithReference(cluster);
        if (!publishing)
        {
            project.WithEnvironment("Orleans__Endpoints__AdvertisedIPAddress", "127.0.0.1");
        }

        return project;
    }
}
