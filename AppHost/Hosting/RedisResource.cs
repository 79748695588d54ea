namespace SlmCluster.AppHost.Hosting;

/// <summary>
/// A Redis server: the response cache and the worker registry. Projects that reference it get
/// <c>ConnectionStrings__&lt;name&gt;</c>.
/// </summary>
internal sealed class RedisResource(string name) : IResource
{
    public string Name { get; } = name;

    public int Port => 6379;

    /// <summary>The image published manifests run (pinned).</summary>
    public string Image => "redis:7.4.1";
}
