using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SlmCluster.Grpc;

namespace SlmCluster.UnitTests.Grpc;

/// <summary>A real server on 127.0.0.1 with a free port, speaking h2c (Kestrel or the built-in listener), for calls over real sockets.</summary>
internal sealed class LoopbackGrpcServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackGrpcServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    /// <param name="h2c">Serve gRPC with the built-in h2c listener instead of a Kestrel endpoint (Kestrel then keeps an HTTP/1.1 port only).</param>
    /// <param name="configureH2c">The h2c listener's limits, when <paramref name="h2c"/>.</param>
    public static async Task<LoopbackGrpcServer> StartAsync(
        Action<WebApplication> mapEndpoints,
        Action<IServiceCollection>? configureServices = null,
        Action<GrpcServerOptions>? configureGrpc = null,
        bool h2c = false,
        Action<GrpcH2cOptions>? configureH2c = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (h2c)
            {
                kestrel.Listen(IPAddress.Loopback, 0);
            }
            else
            {
                kestrel.ListenGrpc(IPAddress.Loopback, 0);
            }
        });
        builder.Services.AddGrpcServer(configureGrpc);
        if (h2c)
        {
            builder.Services.AddGrpcH2cListener(IPAddress.Loopback, 0, configureH2c);
        }

        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        mapEndpoints(app);
        await app.StartAsync();

        var address = h2c
            ? $"http://{app.Services.GetRequiredService<SlmCluster.Grpc.Server.GrpcH2cListener>().BoundEndPoint}"
            : app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new LoopbackGrpcServer(app, new Uri(address));
    }

    /// <summary>Stops the server gracefully, giving calls in flight <paramref name="grace"/> to finish.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        using var timeout = new CancellationTokenSource(grace);
        await _app.StopAsync(timeout.Token);
    }

    public GrpcChannel CreateChannel(GrpcChannelOptions? options = null) => GrpcChannel.ForAddress(Address, options);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
