using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlmCluster.Grpc.Health;
using SlmCluster.Grpc.Server;

namespace SlmCluster.Grpc;

public static class GrpcEndpointRouteBuilderExtensions
{
    private const string LoggerCategory = "SlmCluster.Grpc.Server";

    public static IEndpointConventionBuilder MapGrpcUnary<TRequest, TResponse>(
        this IEndpointRouteBuilder endpoints,
        GrpcMethod<TRequest, TResponse> method,
        Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(handler);

        var (options, logger) = Resolve(endpoints);
        var callHandler = new UnaryServerCallHandler<TRequest, TResponse>(method, handler, options, logger);
        return MapMethod(endpoints, method.ServiceName, method.FullName, callHandler.HandleCallAsync, logger);
    }

    public static IEndpointConventionBuilder MapGrpcServerStreaming<TRequest, TResponse>(
        this IEndpointRouteBuilder endpoints,
        GrpcMethod<TRequest, TResponse> method,
        Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(handler);

        var (options, logger) = Resolve(endpoints);
        var callHandler = new ServerStreamingServerCallHandler<TRequest, TResponse>(method, handler, options, logger);
        return MapMethod(endpoints, method.ServiceName, method.FullName, callHandler.HandleCallAsync, logger);
    }

    /// <summary>
    /// Maps <c>grpc.health.v1.Health/Check</c> onto the application's health checks (<c>AddHealthChecks()</c>):
    /// Healthy or Degraded answer SERVING, Unhealthy NOT_SERVING. The service name may be empty (the whole process),
    /// a mapped gRPC service, or a health check's name or tag; any other name fails with NOT_FOUND.
    /// </summary>
    public static IEndpointConventionBuilder MapGrpcHealthService(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);

        var services = endpoints.ServiceProvider;
        var healthChecks = services.GetService<HealthCheckService>()
            ?? throw new InvalidOperationException("MapGrpcHealthService needs the health check service: call services.AddHealthChecks().");
        var registry = GetRegistry(services);
        var registrations = services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;

        var responder = new GrpcHealthResponder(healthChecks, registry, registrations);
        return endpoints.MapGrpcUnary(HealthMethods.Check, responder.CheckAsync);
    }

    private static IEndpointConventionBuilder MapMethod(
        IEndpointRouteBuilder endpoints,
        string serviceName,
        string path,
        RequestDelegate requestDelegate,
        ILogger logger)
    {
        var registry = GetRegistry(endpoints.ServiceProvider);
        RequestDelegate unimplemented = new UnimplementedMethodHandler(logger).HandleCallAsync;
        if (registry.Add(serviceName, unimplemented))
        {
            // A literal route segment outranks this parameter, so only methods nobody mapped land here.
            endpoints.Map("/" + serviceName + "/{method}", unimplemented)
                .WithDisplayName($"gRPC - {serviceName} unimplemented method");
        }

        // Kestrel's endpoints reach the method through routing; the h2c listener through the registry.
        registry.AddMethod(path, requestDelegate);
        return endpoints.Map(path, requestDelegate).WithDisplayName("gRPC - " + path);
    }

    private static (GrpcServerOptions Options, ILogger Logger) Resolve(IEndpointRouteBuilder endpoints)
    {
        var services = endpoints.ServiceProvider;
        GetRegistry(services);
        var options = services.GetRequiredService<IOptions<GrpcServerOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
        return (options, logger);
    }

    private static GrpcServiceRegistry GetRegistry(IServiceProvider services) =>
        services.GetService<GrpcServiceRegistry>()
        ?? throw new InvalidOperationException("gRPC endpoints need their services registered: call services.AddGrpcServer().");
}
