namespace SlmCluster.Grpc;

public sealed class GrpcChannelOptions
{
    /// <summary>Largest response message accepted; larger ones fail the call with RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest request message sent; larger ones fail the call with RESOURCE_EXHAUSTED before sending.</summary>
    public int MaxSendMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// The handler that carries calls (for tests or custom transports). The channel does not dispose it.
    /// When null the channel owns one: <see cref="Transport.Http2PriorKnowledgeHandler"/> for http (h2c), a
    /// <see cref="SocketsHttpHandler"/> tuned for long-lived HTTP/2 connections for https.
    /// </summary>
    public HttpMessageHandler? Handler { get; set; }
}
