namespace SlmCluster.AppHost.Hosting;

/// <summary>A resource being described; the <c>With...</c> extensions chain on it, as in Aspire.</summary>
internal interface IResourceBuilder<out T> where T : IResource
{
    T Resource { get; }

    DistributedApplicationBuilder ApplicationBuilder { get; }
}
