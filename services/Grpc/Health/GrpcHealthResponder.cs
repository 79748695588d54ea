using Microsoft.Extensions.Diagnostics.HealthChecks;
using SlmCluster.Grpc.Server;
using SlmCluster.Protocol.Health.V1;
using ServingStatus = SlmCluster.Protocol.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace SlmCluster.Grpc.Health;

/// <summary>Answers <c>grpc.health.v1.Health/Check</c> from ASP.NET Core's health checks.</summary>
internal sealed class GrpcHealthResponder
{
    private readonly HealthCheckService _healthChecks;
    private readonly GrpcServiceRegistry _registry;
    private readonly ICollection<HealthCheckRegistration> _registrations;

    public GrpcHealthResponder(HealthCheckService healthChecks, GrpcServiceRegistry registry, ICollection<HealthCheckRegistration> registrations)
    {
        _healthChecks = healthChecks;
        _registry = registry;
        _registrations = registrations;
    }

    public async Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, ServerCallContext context)
    {
        var service = request.Service;
        Func<HealthCheckRegistration, bool>? predicate = null;
        if (service.Length > 0 && !_registry.Contains(service))
        {
            if (!_registrations.Any(r => Matches(r, service)))
            {
                throw new RpcException(StatusCode.NotFound, $"Unknown service '{service}'.");
            }

            predicate = r => Matches(r, service);
        }

        var report = await _healthChecks.CheckHealthAsync(predicate, context.CancellationToken);
        return new HealthCheckResponse
        {
            Status = report.Status == HealthStatus.Unhealthy ? ServingStatus.NotServing : ServingStatus.Serving,
        };
    }

    private static bool Matches(HealthCheckRegistration registration, string service) =>
        string.Equals(registration.Name, service, StringComparison.Ordinal) || registration.Tags.Contains(service);
}
