using System.Collections.Concurrent;
using Google.Protobuf;
using SlmCluster.Grpc.Client;

namespace SlmCluster.Grpc;

/// <summary>
/// A client's connection to one gRPC address, over HTTP/2 with prior knowledge (h2c) or TLS.
/// Thread-safe and meant to be long-lived: it pools and multiplexes connections.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private readonly ConcurrentDictionary<string, Uri> _methodUris = new(StringComparer.Ordinal);
    private bool _disposed;

    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        Address = address;
        MaxReceiveMessageSize = options.MaxReceiveMessageSize;
        MaxSendMessageSize = options.MaxSendMessageSize;
        Invoker = new HttpMessageInvoker(options.Handler ?? CreateDefaultHandler(address), disposeHandler: options.Handler is null);
    }

    public Uri Address { get; }

    internal HttpMessageInvoker Invoker { get; }

    internal int MaxReceiveMessageSize { get; }

    internal int MaxSendMessageSize { get; }

    public static GrpcChannel ForAddress(string address, GrpcChannelOptions? options = null) =>
        ForAddress(new Uri(address, UriKind.Absolute), options);

    public static GrpcChannel ForAddress(Uri address, GrpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"A gRPC address is an absolute http or https URI; got '{address}'.", nameof(address));
        }

        options ??= new GrpcChannelOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxReceiveMessageSize, nameof(options.MaxReceiveMessageSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxSendMessageSize, nameof(options.MaxSendMessageSize));
        return new GrpcChannel(address, options);
    }

    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(
        GrpcMethod<TRequest, TResponse> method,
        TRequest request,
        CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);

        using var call = new GrpcClientCall<TResponse>(this, method.FullName, method.ResponseParser, options);
        await call.StartAsync(request).ConfigureAwait(false);
        return await call.ReadSingleAsync().ConfigureAwait(false);
    }

    /// <summary>Starts a server-streaming call; the request is sent at once and messages are read as they arrive.</summary>
    public AsyncServerStreamingCall<TResponse> ServerStreaming<TRequest, TResponse>(
        GrpcMethod<TRequest, TResponse> method,
        TRequest request,
        CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var call = new GrpcClientCall<TResponse>(this, method.FullName, method.ResponseParser, options);
        return new AsyncServerStreamingCall<TResponse>(call, call.StartAsync(request));
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Invoker.Dispose();
        }
    }

    internal Uri GetMethodUri(string path) =>
        _methodUris.GetOrAdd(path, static (p, address) => new Uri(address, p), Address);

    /// <summary>
    /// Plain-text addresses (h2c, the cluster's own traffic) go through the project's lean HTTP/2 handler, which takes
    /// fewer thread hand-offs per message; TLS goes through <see cref="SocketsHttpHandler"/>.
    /// </summary>
    private static HttpMessageHandler CreateDefaultHandler(Uri address) =>
        address.Scheme == Uri.UriSchemeHttp
            ? new Transport.Http2PriorKnowledgeHandler()
            : CreateSocketsHandler();

    private static SocketsHttpHandler CreateSocketsHandler() => new()
    {
        // One HTTP/2 connection caps concurrent streams (Kestrel: 100); more connections lift that cap.
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        KeepAlivePingDelay = TimeSpan.FromSeconds(60),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        AllowAutoRedirect = false,
        UseCookies = false,

        // h2c with prior knowledge cannot go through an HTTP proxy.
        UseProxy = false,
    };
}
