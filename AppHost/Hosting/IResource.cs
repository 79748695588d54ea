namespace SlmCluster.AppHost.Hosting;

/// <summary>Something the cluster is made of: a cache, a model, a project with replicas.</summary>
internal interface IResource
{
    string Name { get; }
}
