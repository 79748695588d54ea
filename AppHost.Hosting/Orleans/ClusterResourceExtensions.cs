using Aspire.Hosting.Orleans;

namespace SlmCluster.AppHost.Hosting;

internal static class ClusterResourceExtensions
{
    /// <summary>
    /// The Orleans cluster the gateway and the workers join: membership and the worker grains' directory in
    /// <paramref name="redis"/>.
    /// </summary>
    public static OrleansService AddSlmCluster(this IDistributedApplicationBuilder builder, string name, IResourceBuilder<IResourceWithConnectionString> redis)
    {
        var provider = new RedisProviderConfiguration(redis);
        return builder.AddOrleans(name)
            .WithClusterId(ClusterSettings.ClusterId)
            .WithServiceId(ClusterSettings.ServiceId)
            .WithClustering(provider)
            .WithGrainDirectory(ClusterSettings.WorkerDirectory, provider);
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
            project.WithEnvironment(ClusterSettings.Keys.Orleans.AdvertisedIPAddress, "127.0.0.1");
        }

        return project;
    }
}
