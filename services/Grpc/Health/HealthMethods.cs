using SlmCluster.Protocol.Health.V1;

namespace SlmCluster.Grpc;

/// <summary>The methods of the standard <c>grpc.health.v1.Health</c> service.</summary>
public static class HealthMethods
{
    public const string ServiceName = "grpc.health.v1.Health";

    public static readonly GrpcMethod<HealthCheckRequest, HealthCheckResponse> Check =
        new(ServiceName, "Check", GrpcMethodType.Unary, HealthCheckRequest.Parser, HealthCheckResponse.Parser);
}
