using System.Text;
using Grpc.Core;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Client;

/// <summary>A generation's chunks as the two RPCs carry them: streamed one by one, or joined into one answer.</summary>
public static class GenerateChunkExtensions
{
    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    /// <summary>
    /// Writes each chunk to a <c>GenerateStream</c> caller as it comes. The closing chunk (the one carrying usage) is
    /// buffered, so it leaves in one packet with the status that follows it.
    /// </summary>
    public static async Task WriteToAsync(this IAsyncEnumerable<GenerateChunk> chunks, IServerStreamWriter<GenerateChunk> stream, CancellationToken cancellationToken)
    {
        await foreach (var chunk in chunks.WithCancellation(cancellationToken))
        {
            if (chunk.Usage is not null)
            {
                stream.WriteOptions = Buffered;
            }

            await stream.WriteAsync(chunk, cancellationToken);
        }
    }

    /// <summary>
    /// Joins the chunks' text, their token logprobs (in order) and their tool call pieces (into whole calls); finish reason, usage and served come from the closing
    /// chunk (the one carrying usage).
    /// </summary>
    public static async Task<GenerateResponse> CollectAsync(this IAsyncEnumerable<GenerateChunk> chunks, CancellationToken cancellationToken = default)
    {
        var response = new GenerateResponse();
        var text = new StringBuilder();
        var toolCalls = new ToolCallPieces();
        await foreach (var chunk in chunks.WithCancellation(cancellationToken))
        {
            text.Append(chunk.Text);
            toolCalls.Add(chunk.ToolCalls);
            response.Logprobs.Add(chunk.Logprobs);
            if (chunk.Usage is not null)
            {
                response.FinishReason = chunk.FinishReason;
                response.Usage = chunk.Usage;
                response.Served = chunk.Served;
            }
        }

        response.Text = text.ToString();
        response.ToolCalls.Add(toolCalls.Calls);
        return response;
    }
}
