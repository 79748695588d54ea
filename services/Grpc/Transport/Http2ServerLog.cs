using Microsoft.Extensions.Logging;

namespace SlmCluster.Grpc.Transport;

internal static partial class Http2ServerLog
{
    [LoggerMessage(101, LogLevel.Debug, "Connection {ConnectionId}: HTTP/2 protocol error {Code}: {Detail}")]
    public static partial void ProtocolError(ILogger logger, string connectionId, string code, string detail);

    [LoggerMessage(102, LogLevel.Debug, "Connection {ConnectionId}: stream {StreamId} refused ({Reason}).")]
    public static partial void StreamRefused(ILogger logger, string connectionId, int streamId, string reason);

    [LoggerMessage(103, LogLevel.Debug, "Connection {ConnectionId}: stream {StreamId} reset, malformed request: {Problem}.")]
    public static partial void MalformedRequest(ILogger logger, string connectionId, int streamId, string problem);

    [LoggerMessage(104, LogLevel.Error, "Connection {ConnectionId}: the handler for {Path} failed.")]
    public static partial void HandlerFailed(ILogger logger, string connectionId, string path, Exception exception);

    [LoggerMessage(105, LogLevel.Debug, "Connection {ConnectionId} closed: {Reason}.")]
    public static partial void Timeout(ILogger logger, string connectionId, string reason);

    [LoggerMessage(106, LogLevel.Information, "gRPC (h2c) listening on {Address}.")]
    public static partial void Listening(ILogger logger, string address);

    [LoggerMessage(107, LogLevel.Warning, "Accepting a connection failed; the listener goes on.")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);
}
