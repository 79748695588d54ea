namespace SlmCluster.Grpc;

/// <summary>
/// Writes the messages of a server-streaming response. Each write is flushed to the client before it completes;
/// writes must not overlap.
/// </summary>
public interface IServerStreamWriter<in T>
{
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}
