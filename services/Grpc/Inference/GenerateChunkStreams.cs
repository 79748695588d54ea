using System.Text;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Grpc;

/// <summary>Unary Generate is GenerateStream collected: the worker and the gateway answer both from one stream.</summary>
public static class GenerateChunkStreams
{
    /// <summary>
    /// Streams the chunks to the caller, each flushed as it comes. The closing chunk (the one carrying usage, always
    /// the last) ends the call: it leaves in one packet with the OK status, and the caller's answer is complete before
    /// this side has drained its source (a worker's trailers, for the gateway) and done its bookkeeping.
    /// </summary>
    public static async Task WriteAllAsync(this IAsyncEnumerable<GenerateChunk> chunks, IServerStreamWriter<GenerateChunk> writer, CancellationToken cancellationToken)
    {
        await foreach (var chunk in chunks)
        {
            if (chunk.Usage is not null)
            {
                await writer.WriteLastAsync(chunk, cancellationToken);
            }
            else
            {
                await writer.WriteAsync(chunk, cancellationToken);
            }
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
