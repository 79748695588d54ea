namespace SlmCluster.Hosting.Publishing;

/// <summary>The front door: a Deployment behind a ClusterIP Service, scaled on CPU.</summary>
/// <param name="Name">The resource name: the Service, the Deployment, the container.</param>
/// <param name="Image">A pinned image.</param>
/// <param name="GrpcPort">The port callers reach over gRPC (h2c).</param>
/// <param name="HttpPort">The port of the OpenAI-compatible API, <c>/health</c> and <c>/metrics</c>.</param>
/// <param name="WorkerGroups">The workers it routes to; it is handed each pod's stable address.</param>
/// <param name="Redis">The response cache and worker registry, or null for none.</param>
internal sealed record GatewaySpec(
    string Name,
    string Image,
    int GrpcPort,
    int HttpPort,
    IReadOnlyList<WorkerGroupSpec> WorkerGroups,
    RedisSpec? Redis);
