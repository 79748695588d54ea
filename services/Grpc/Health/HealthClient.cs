using SlmCluster.Protocol.Health.V1;

namespace SlmCluster.Grpc;

/// <summary>Calls the standard <c>grpc.health.v1.Health</c> service.</summary>
public sealed class HealthClient
{
    private readonly GrpcChannel _channel;

    public HealthClient(GrpcChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _channel = channel;
    }

    public Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, CallOptions options = default) =>
        _channel.UnaryAsync(HealthMethods.Check, request, options);
}
