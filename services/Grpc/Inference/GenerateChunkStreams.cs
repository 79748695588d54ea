using System.Text;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Grpc;

/// <summary>Unary Generate is GenerateStream collected: the worker and the gateway answer both from one stream.</summary>
public static class GenerateChunkStreams
{
    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    /// <summary>
    /// Streams the chunks to the caller, each flushed as it comes, except the closing chunk (the one carrying usage,
    /// always the last): it waits in the buffer for the end of the call and leaves in one packet with the status,
    /// one send and one wake-up fewer at the moment the caller waits for the answer to end.
    /// </summary>
    public static async Task WriteAllAsync(this IAsyncEnumerable<GenerateChunk> chunks, IServerStreamWriter<GenerateChunk> writer, CancellationToken cancellationToken)
    {
        await foreach (var chunk in chunks)
        {
            if (chunk.Usage is not null)
            {
                writer.WriteOptions = Buffered;
            }

            await writer.WriteAsync(chunk, cancellationToken);
        }
    }

    /// <summary>
    /// Joins the chunks' text; finish reason, usage and served come from the closing chunk (the one carrying usage).
    /// </summary>
    public static async Task<GenerateResponse> CollectAsync(this IAsyncEnumerable<GenerateChunk> chunks)
    {
        var response = new GenerateResponse();
        var text = new StringBuilder();
        await foreach (var chunk in chunks)
        {
            text.Append(chunk.Text);
            if (chunk.Usage is not null)
            {
                response.FinishReason = chunk.FinishReason;
                response.Usage = chunk.Usage;
                response.Served = chunk.Served;
            }
        }

        response.Text = text.ToString();
        return response;
    }
}
