using SlmCluster.AppHost.Orchestration;

namespace SlmCluster.AppHost.Hosting;

/// <summary>Collects the resources of the cluster; <see cref="Build"/> hands them to a back end.</summary>
internal sealed class DistributedApplicationBuilder(AppHostOptions options)
{
    private readonly List<IResource> _resources = [];

    /// <summary>The command line: what to run (or publish) and how big.</summary>
    public AppHostOptions Options { get; } = options;

    public IResourceBuilder<T> Add<T>(T resource) where T : IResource
    {
        if (_resources.Any(r => r.Name == resource.Name))
        {
            throw new InvalidOperationException($"A resource named '{resource.Name}' is already in the cluster.");
        }

        _resources.Add(resource);
        return new ResourceBuilder<T>(resource, this);
    }

    public DistributedApplicationModel BuildModel()
    {
        foreach (var project in _resources.OfType<ProjectResource>())
        {
            var late = project.References.FirstOrDefault(r => _resources.IndexOf(r) > _resources.IndexOf(project) || !_resources.Contains(r));
            if (late is not null)
            {
                throw new InvalidOperationException($"'{project.Name}' references '{late.Name}', which must be added before it.");
            }
        }

        return new DistributedApplicationModel(_resources.ToArray());
    }

    public DistributedApplication Build() => new(BuildModel(), Options);
}
