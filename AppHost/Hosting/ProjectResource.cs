namespace SlmCluster.AppHost.Hosting;

/// <summary>A service project run as <see cref="Replicas"/> identical processes (pods, when published).</summary>
internal sealed class ProjectResource(string name, IProjectMetadata project) : IResource
{
    public string Name { get; } = name;

    public IProjectMetadata Project { get; } = project;

    public int Replicas { get; set; } = 1;

    /// <summary>The model each replica loads; null for projects that serve none.</summary>
    public ModelResource? Model { get; set; }

    /// <summary><c>cpu</c>, or <c>cuda</c>: one GPU per replica, every layer offloaded.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>Threads per replica; 0 lets the back end choose.</summary>
    public int Threads { get; set; }

    /// <summary>Concurrent sequences per replica (workers).</summary>
    public int Slots { get; set; } = 1;

    /// <summary>What this project is handed at start: connection strings, endpoints, the model.</summary>
    public List<IResource> References { get; } = [];

    /// <summary>Fixed ports for the outside world (the gateway); other endpoints get free ports locally.</summary>
    public int? GrpcPort { get; set; }

    public int? HttpPort { get; set; }

    /// <summary>The port a project listens on for gRPC inside a container, and the one for HTTP (/health, /metrics).</summary>
    public int ContainerGrpcPort => Project.ConfigSection == "Worker" ? 5100 : 5000;

    public int ContainerHttpPort => 8080;
}
