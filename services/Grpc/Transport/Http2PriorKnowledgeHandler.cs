using System.Collections.Concurrent;

namespace SlmCluster.Grpc.Transport;

/// <summary>
/// An <see cref="HttpMessageHandler"/> for HTTP/2 with prior knowledge over plain TCP (h2c), the way gRPC channels
/// reach services inside a cluster. Compared with <see cref="SocketsHttpHandler"/> it takes fewer thread hand-offs
/// per message: a request leaves from the caller's thread in one send, and response data reaches the reader on the
/// thread that received it. Request bodies are buffered whole before sending (gRPC requests here are one message).
/// Connections are pooled per authority and a new one opens when the server's concurrent-stream limit is reached.
/// </summary>
public sealed class Http2PriorKnowledgeHandler : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, ConnectionPool> _pools = new(StringComparer.OrdinalIgnoreCase);
    private volatile bool _disposed;

    /// <summary>How long opening a connection may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>With calls open and nothing heard from the server for this long, a PING checks that it is still there.</summary>
    public TimeSpan KeepAlivePingDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the server has to answer that PING before its connection is dropped and its calls fail as unavailable.</summary>
    public TimeSpan KeepAlivePingTimeout { get; init; } = TimeSpan.FromSeconds(30);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var uri = request.RequestUri;
        if (uri is null || !uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new NotSupportedException($"This handler speaks HTTP/2 over plain TCP only (http://); got '{uri}'.");
        }

        var pool = _pools.GetOrAdd(uri.Authority, static (_, state) => new ConnectionPool(state.Host, state.Port, state.Handler),
            (Host: uri.IdnHost, uri.Port, Handler: this));
        return pool.SendAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            foreach (var pool in _pools.Values)
            {
                pool.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private sealed class ConnectionPool(string host, int port, Http2PriorKnowledgeHandler settings) : IDisposable
    {
        private readonly List<Http2ClientConnection> _connections = [];
        private Task<Http2ClientConnection>? _connecting;
        private bool _disposed;

        public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var connection = await AcquireAsync(cancellationToken).ConfigureAwait(false);
            return await connection.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        public void Dispose()
        {
            List<Http2ClientConnection> connections;
            lock (_connections)
            {
                _disposed = true;
                connections = [.. _connections];
                _connections.Clear();
            }

            foreach (var connection in connections)
            {
                _ = connection.DisposeAsync();
            }
        }

        /// <summary>A connection with room for one more stream (reserved for the caller), opening one when none has.</summary>
        private async Task<Http2ClientConnection> AcquireAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                Task<Http2ClientConnection> connecting;
                lock (_connections)
                {
                    ObjectDisposedException.ThrowIf(_disposed, typeof(Http2PriorKnowledgeHandler));
                    _connections.RemoveAll(c => c.IsClosed);
                    foreach (var connection in _connections)
                    {
                        if (connection.TryReserve())
                        {
                            return connection;
                        }
                    }

                    // One connection opens at a time; everyone who needs room waits for it.
                    connecting = _connecting ??= Http2ClientConnection.ConnectAsync(host, port,
                        settings.ConnectTimeout, settings.KeepAlivePingDelay, settings.KeepAlivePingTimeout, CancellationToken.None);
                }

                Http2ClientConnection opened;
                try
                {
                    opened = await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (HttpRequestException)
                {
                    lock (_connections)
                    {
                        if (_connecting == connecting)
                        {
                            _connecting = null; // the next caller tries afresh
                        }
                    }

                    throw;
                }

                lock (_connections)
                {
                    if (_connecting == connecting)
                    {
                        _connecting = null;
                        if (_disposed)
                        {
                            _ = opened.DisposeAsync();
                        }
                        else
                        {
                            _connections.Add(opened);
                        }
                    }
                }
            }
        }
    }
}
