using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace SlmCluster.Grpc;

public static class GrpcKestrelExtensions
{
    /// <summary>
    /// Listens for gRPC on <paramref name="address"/>:<paramref name="port"/>: HTTP/2 only and without TLS, so clients
    /// connect with prior knowledge (h2c). Port 0 picks a free port.
    /// </summary>
    public static void ListenGrpc(this KestrelServerOptions options, IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(address);

        options.Listen(address, port, listen => listen.Protocols = HttpProtocols.Http2);
    }
}
