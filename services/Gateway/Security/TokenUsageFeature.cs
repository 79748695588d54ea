using System.Runtime.CompilerServices;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Security;

/// <summary>
/// What the current request's generation used, for its tenant's token budget: each front door counts the chunks it
/// sends (<see cref="CountedFor"/>), and <see cref="TokenBudgetMiddleware"/> charges the total once the endpoint has finished. Present only on a
/// request whose tenant has a budget.
/// </summary>
public sealed class TokenUsageFeature
{
    private int _chunks;
    private int? _tokens;

    /// <summary>The tokens to charge: prompt and completion once the closing chunk came, else the chunks streamed.</summary>
    public int Tokens => _tokens ?? _chunks;

    public void Count(GenerateChunk chunk)
    {
        _chunks++;
        if (chunk.Usage is { } usage)
        {
            _tokens = usage.PromptTokens + usage.CompletionTokens;
        }
    }

    /// <summary>The stream a front door sends, each chunk counted when the request's tenant has a budget; else the stream itself.</summary>
    public static IAsyncEnumerable<GenerateChunk> CountedFor(HttpContext context, IAsyncEnumerable<GenerateChunk> chunks) =>
        context.Features.Get<TokenUsageFeature>() is { } usage ? usage.Counted(chunks) : chunks;

    private async IAsyncEnumerable<GenerateChunk> Counted(IAsyncEnumerable<GenerateChunk> chunks, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var chunk in chunks.WithCancellation(cancellationToken))
        {
            Count(chunk);
            yield return chunk;
        }
    }
}
