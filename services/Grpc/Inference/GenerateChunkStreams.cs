using System.Text;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Grpc;

/// <summary>Unary Generate is GenerateStream collected: the worker and the gateway answer both from one stream.</summary>
public static class GenerateChunkStreams
{
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
