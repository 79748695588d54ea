using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlmCluster.Grpc.Server;

namespace SlmCluster.Grpc;

/// <summary>Limits of the built-in h2c gRPC listener (<see cref="GrpcH2cListenerExtensions.AddGrpcH2cListener"/>).</summary>
public sealed class GrpcH2cOptions
{
    /// <summary>Calls one connection may have open at once; a call counts until its handler has finished, even after the client reset it.</summary>
    public int MaxConcurrentStreams { get; set; } = 100;

    /// <summary>Largest request header list (metadata); a larger one is answered RESOURCE_EXHAUSTED.</summary>
    public int MaxHeaderListSize { get; set; } = 32 * 1024;

    /// <summary>How long a new connection has to send the HTTP/2 preface and its first SETTINGS.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A connection with no call open for this long is closed (GOAWAY first).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);
}

public static class GrpcH2cListenerExtensions
{
    /// <summary>
    /// Serves the gRPC methods mapped with <c>MapGrpcUnary</c>/<c>MapGrpcServerStreaming</c> on
    /// <paramref name="address"/>:<paramref name="port"/> with the built-in h2c server (HTTP/2 with prior knowledge,
    /// no TLS), instead of a Kestrel endpoint. Only gRPC calls are served there; plain HTTP stays on Kestrel's ports.
    /// </summary>
    public static IServiceCollection AddGrpcH2cListener(this IServiceCollection services, IPAddress address, int port, Action<GrpcH2cOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(address);

        var options = new GrpcH2cOptions();
        configure?.Invoke(options);
        if (options.MaxConcurrentStreams < 1 || options.MaxHeaderListSize < 1024 || options.HandshakeTimeout <= TimeSpan.Zero || options.IdleTimeout <= TimeSpan.Zero)
        {
            throw new OptionsValidationException(nameof(GrpcH2cOptions), typeof(GrpcH2cOptions),
                ["MaxConcurrentStreams must be at least 1, MaxHeaderListSize at least 1024, and both timeouts positive."]);
        }

        services.AddSingleton(sp => new GrpcH2cListener(new IPEndPoint(address, port), options,
            sp.GetService<GrpcServiceRegistry>() ?? throw new InvalidOperationException("The h2c listener serves gRPC endpoints: call services.AddGrpcServer()."),
            sp.GetRequiredService<IServiceScopeFactory>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddHostedService(sp => sp.GetRequiredService<GrpcH2cListener>());
        return services;
    }
}
