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

    /// <summary>
    /// Writes the call's last message and ends the call with OK at once: the message, the status and the
    /// <see cref="ServerCallContext.ResponseTrailers"/> added so far leave together, so the client does not wait for
    /// what the handler still does after it (bookkeeping, draining an upstream call). Later writes fail; an exception
    /// the handler throws afterwards is logged, not sent.
    /// </summary>
    Task WriteLastAsync(T message, CancellationToken cancellationToken = default);
}
