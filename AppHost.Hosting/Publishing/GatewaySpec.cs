namespace SlmCluster.AppHost.Hosting.Publishing;

/// <summary>The front door: an Orleans silo with no model, a Deployment behind a ClusterIP Service, scaled on CPU.</summary>
/// <param name="Name">The resource name: the Service, the Deployment, the container.</param>
/// <param name="Image">A pinned image.</param>
/// <param name="GrpcPort">The port callers reach over gRPC (h2c).</param>
/// <param name="HttpPort">The port of the OpenAI-compatible API, <c>/health</c> and <c>/metrics</c>.</param>
/// <param name="Cascade">The cascade route it serves, if any; an external tier's API key comes from a Secret.</param>
internal sealed record GatewaySpec(
    string Name,
    string Image,
    int GrpcPort,
    int HttpPort,
    Cascade.CascadeRouteDeclaration? Cascade = null)
{
    /// <summary>The Secret (and its key) the team creates with the flagship API's key.</summary>
    public const string FlagshipSecret = "flagship-api-key";

    public const string FlagshipSecretKey = "api-key";
}
