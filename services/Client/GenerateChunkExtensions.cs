using System.Text;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Client;

/// <summary>A streamed generation joined into one answer: what unary <c>Generate</c> returns for the same request.</summary>
public static class GenerateChunkExtensions
{
    /// <summary>
    /// Joins the chunks' text; finish reason, usage and served come from the closing chunk (the one carrying usage).
    /// </summary>
    public static async Task<GenerateResponse> CollectAsync(this IAsyncEnumerable<GenerateChunk> chunks, CancellationToken cancellationToken = default)
    {
        var response = new GenerateResponse();
        var text = new StringBuilder();
        await foreach (var chunk in chunks.WithCancellation(cancellationToken))
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
