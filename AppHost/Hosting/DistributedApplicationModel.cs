namespace SlmCluster.AppHost.Hosting;

/// <summary>The cluster as described: resources in the order they were added (a project's references come first).</summary>
internal sealed class DistributedApplicationModel(IReadOnlyList<IResource> resources)
{
    public IReadOnlyList<IResource> Resources { get; } = resources;

    public IEnumerable<ProjectResource> Projects => Resources.OfType<ProjectResource>();

    public RedisResource? Redis => Resources.OfType<RedisResource>().SingleOrDefault();

    /// <summary>The projects that serve a model, one model instance per replica.</summary>
    public IEnumerable<ProjectResource> ModelServers => Projects.Where(p => p.Model is not null);

    /// <summary>The project callers reach: the one no other project references.</summary>
    public ProjectResource FrontDoor =>
        Projects.Last(p => !Projects.Any(other => other.References.Contains(p)));
}
