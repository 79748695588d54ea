namespace SlmCluster.Hosting.Publishing;

/// <summary>The front door: an Orleans silo with no model, a Deployment behind a ClusterIP Service, scaled on CPU.</summary>
/// <param name="Name">The resource name: the Service, the Deployment, the container.</param>
/// <param name="Image">A pinned image.</param>
/// <param name="GrpcPort">The port callers reach over gRPC (h2c).</param>
/// <param name="HttpPort">The port of the OpenAI-compatible API, <c>/health</c> and <c>/metrics</c>.</param>
internal sealed record GatewaySpec(
    string Name,
    string Image,
    int GrpcPort,
    int HttpPort);
