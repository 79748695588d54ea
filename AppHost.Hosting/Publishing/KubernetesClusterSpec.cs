namespace SlmCluster.AppHost.Hosting.Publishing;

/// <summary>
/// What the Kubernetes manifests are written from: the cluster reduced to the facts the manifests need,
/// independent of how the application model that produced it is built.
/// </summary>
/// <param name="Namespace">The namespace every object lives in (and which the manifests create).</param>
/// <param name="Redis">The response cache, and Orleans' membership table and worker grain directory.</param>
/// <param name="Silo">How the gateway and the workers join one Orleans cluster.</param>
/// <param name="WorkerGroups">The model servers, one StatefulSet each, in the order their files are numbered.</param>
/// <param name="Gateway">The front door callers reach.</param>
internal sealed record KubernetesClusterSpec(
    string Namespace,
    RedisSpec Redis,
    SiloSpec Silo,
    IReadOnlyList<WorkerGroupSpec> WorkerGroups,
    GatewaySpec Gateway)
{
    public const string DefaultNamespace = "slmcluster";
}
