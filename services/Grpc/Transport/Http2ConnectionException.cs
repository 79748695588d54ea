namespace SlmCluster.Grpc.Transport;

/// <summary>A connection error (RFC 9113, section 5.4.1): the connection is closed with GOAWAY carrying the code.</summary>
internal sealed class Http2ConnectionException(uint errorCode, string message) : Exception(message)
{
    public uint ErrorCode { get; } = errorCode;
}
