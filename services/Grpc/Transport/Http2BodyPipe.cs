using System.IO.Pipelines;

namespace SlmCluster.Grpc.Transport;

/// <summary>The pipe a stream's incoming body goes through: the read loop writes, the reader's continuation runs inline.</summary>
internal static class Http2BodyPipe
{
    public static readonly PipeOptions Options = new(
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 0, // the stream's flow-control window bounds what can pile up
        resumeWriterThreshold: 0,
        useSynchronizationContext: false);

    /// <summary>
    /// Read loop: appends a DATA payload. Unless the stream ends with it (the caller then completes the writer), it is
    /// flushed at once: the pipe never pauses, so the flush completes inline and runs the waiting reader on this thread.
    /// </summary>
    public static void Append(PipeWriter writer, ReadOnlySpan<byte> data, bool endStream)
    {
        if (data.Length == 0)
        {
            return;
        }

        data.CopyTo(writer.GetSpan(data.Length));
        writer.Advance(data.Length);
        if (!endStream)
        {
            _ = writer.FlushAsync();
        }
    }
}
