namespace SlmCluster.Grpc;

/// <summary>
/// Writes the messages of a server-streaming response. Each write is flushed to the client before it completes,
/// unless <see cref="WriteOptions"/> carries <see cref="WriteFlags.BufferHint"/>; writes must not overlap.
/// </summary>
public interface IServerStreamWriter<in T>
{
    /// <summary>Applies to the writes that follow; null flushes every write.</summary>
    WriteOptions? WriteOptions { get; set; }

    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}
