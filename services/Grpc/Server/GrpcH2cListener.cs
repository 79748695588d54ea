using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SlmCluster.Grpc.Transport;

namespace SlmCluster.Grpc.Server;

/// <summary>
/// Serves the mapped gRPC methods over HTTP/2 without TLS on its own port, with the built-in h2c server instead of
/// Kestrel: a call's handler runs on the connection's read loop until it first waits, and its messages go out from
/// its own thread, so a relayed token crosses the process without waiting for another thread to pick it up.
/// </summary>
internal sealed class GrpcH2cListener : IHostedService, IAsyncDisposable
{
    private readonly IPEndPoint _endPoint;
    private readonly GrpcServiceRegistry _registry;
    private readonly IServiceScopeFactory _scopeFactory;
    private readonly ILogger _logger;
    private readonly GrpcH2cOptions _options;
    private readonly UnimplementedMethodHandler _unknownPath;
    private readonly HashSet<Http2ServerConnection> _connections = [];
    private readonly Lock _lock = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private long _connectionCount;

    public GrpcH2cListener(IPEndPoint endPoint, GrpcH2cOptions options, GrpcServiceRegistry registry, IServiceScopeFactory scopeFactory, ILoggerFactory loggerFactory)
    {
        _endPoint = endPoint;
        _registry = registry;
        _scopeFactory = scopeFactory;
        _logger = loggerFactory.CreateLogger("SlmCluster.Grpc.H2c");
        _options = options;
        _unknownPath = new UnimplementedMethodHandler(loggerFactory.CreateLogger("SlmCluster.Grpc.Server"));
    }

    /// <summary>The address and port it listens on (the real port when 0 was asked for), once started.</summary>
    public IPEndPoint? BoundEndPoint { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var listener = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (_endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                listener.DualMode = true;
            }

            // Lets a restarted process take the port while old connections linger in TIME_WAIT; never two listeners.
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(_endPoint);
            listener.Listen(512);
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new IOException($"The gRPC listener could not bind {_endPoint}: {ex.Message}", ex);
        }

        _listener = listener;
        BoundEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        Http2ServerLog.Listening(_logger, $"http://{BoundEndPoint}");
        // Connections (and the handlers their read loops start) begin from a clean execution context, not the host's.
        using (ExecutionContext.SuppressFlow())
        {
            _acceptLoop = Task.Run(() => AcceptLoopAsync(listener));
        }

        return Task.CompletedTask;
    }

    /// <summary>Stops taking connections, tells each open one (GOAWAY) and waits for their calls until <paramref name="cancellationToken"/> fires.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose();
        if (_acceptLoop is { } acceptLoop)
        {
            await acceptLoop.ConfigureAwait(false);
        }

        Http2ServerConnection[] open;
        lock (_lock)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open.Select(c => c.ShutdownAsync())).ConfigureAwait(false);
        var drained = Task.WhenAll(open.Select(c => c.Drained));
        try
        {
            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            foreach (var connection in open)
            {
                connection.Abort("The server stopped before the call ended.");
            }

            await drained.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (!listener.IsBound || _listener is null)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Out of file descriptors and the like: wait a little rather than spin.
                Http2ServerLog.AcceptFailed(_logger, ex);
                await Task.Delay(50).ConfigureAwait(false);
                continue;
            }

            socket.NoDelay = true;
            var id = $"h2c-{Interlocked.Increment(ref _connectionCount)}";
            var connection = new Http2ServerConnection(socket, Dispatch, _scopeFactory, _logger, _options, id);
            lock (_lock)
            {
                _connections.Add(connection);
            }

            _ = ServeAsync(connection);
        }
    }

    private async Task ServeAsync(Http2ServerConnection connection)
    {
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
            await connection.Drained.ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
            {
                _connections.Remove(connection);
            }
        }
    }

    private Task Dispatch(HttpContext context) =>
        (_registry.Find(context.Request.Path.Value ?? "") ?? _unknownPath.HandleCallAsync)(context);
}
