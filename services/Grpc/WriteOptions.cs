namespace SlmCluster.Grpc;

/// <summary>How a message is written.</summary>
[Flags]
public enum WriteFlags
{
    None = 0,

    /// <summary>
    /// The message may wait in the buffer for what follows it: the next message, or the end of the call. Use it for
    /// the last message of a stream, so the message and the status leave in one packet.
    /// </summary>
    BufferHint = 0x1,
}

/// <summary>Options for the writes of a stream, set on the stream writer for the writes that follow.</summary>
public sealed class WriteOptions(WriteFlags flags = WriteFlags.None)
{
    public WriteFlags Flags { get; } = flags;
}
