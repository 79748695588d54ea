using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SlmCluster.Grpc.Server;

namespace SlmCluster.Grpc;

public static class GrpcServiceCollectionExtensions
{
    /// <summary>Registers what the gRPC endpoints need (routing, options, the service registry).</summary>
    public static IServiceCollection AddGrpcServer(this IServiceCollection services, Action<GrpcServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddRouting();
        services.TryAddSingleton<GrpcServiceRegistry>();

        var options = services.AddOptions<GrpcServerOptions>()
            .Validate(o => o.MaxReceiveMessageSize > 0, $"{nameof(GrpcServerOptions.MaxReceiveMessageSize)} must be positive.")
            .Validate(o => o.MaxSendMessageSize > 0, $"{nameof(GrpcServerOptions.MaxSendMessageSize)} must be positive.")
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return services;
    }
}
