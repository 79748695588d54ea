namespace SlmCluster.Grpc;

/// <summary>Limits and behaviour of the gRPC endpoints mapped on this server.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>Largest request message accepted; larger ones fail with RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest response message sent; a handler returning a larger one fails with RESOURCE_EXHAUSTED.</summary>
    public int MaxSendMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Sends an unexpected exception's message to the client. Off by default: exception text can leak internals.
    /// </summary>
    public bool EnableDetailedErrors { get; set; }
}
