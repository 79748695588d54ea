using Aspire.Hosting.Orleans;

namespace SlmCluster.AppHost.Hosting;

/// <summary>
/// An Orleans provider (clustering, grain directory) kept in one of our Redis resources: the silo gets
/// <c>Orleans__{section}__ProviderType=Redis</c>, the connection string's name, and the connection string itself.
/// Aspire's own overload would name the provider after the resource's type (<c>RedisServer</c>), which Orleans does
/// not know.
/// </summary>
internal sealed class RedisProviderConfiguration(IResourceBuilder<IResourceWithConnectionString> redis) : IProviderConfiguration
{
    public void ConfigureResource<T>(IResourceBuilder<T> resourceBuilder, string configSectionPath) where T : IResourceWithEnvironment
    {
        var prefix = $"Orleans__{configSectionPath.Replace(":", "__", StringComparison.Ordinal)}";
        resourceBuilder
            .WithEnvironment(ClusterSettings.Keys.Orleans.ProviderType(prefix), ClusterSettings.RedisProvider)
            .WithEnvironment(ClusterSettings.Keys.Orleans.ConnectionName(prefix), redis.Resource.Name)
            .WithReference(redis);
    }
}
