using Microsoft.Extensions.Logging;

namespace SlmCluster.Grpc.Server;

internal static partial class GrpcServerLog
{
    [LoggerMessage(1, LogLevel.Error, "gRPC call {Method} failed with an unhandled exception.")]
    public static partial void UnhandledException(ILogger logger, string method, Exception exception);

    [LoggerMessage(2, LogLevel.Debug, "gRPC call {Method} ended with {StatusCode}: {Detail}")]
    public static partial void CallFailed(ILogger logger, string method, StatusCode statusCode, string detail);

    [LoggerMessage(3, LogLevel.Debug, "gRPC call {Method} was canceled by the client.")]
    public static partial void CanceledByClient(ILogger logger, string method);

    [LoggerMessage(4, LogLevel.Debug, "gRPC call {Method} exceeded its deadline.")]
    public static partial void DeadlineExceeded(ILogger logger, string method);

    [LoggerMessage(5, LogLevel.Debug, "Ignoring invalid grpc-timeout '{Timeout}' on {Method}.")]
    public static partial void InvalidTimeout(ILogger logger, string timeout, string method);

    [LoggerMessage(6, LogLevel.Debug, "Refused {Path}: {Reason}")]
    public static partial void RequestRefused(ILogger logger, string path, string reason);
}
