using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Security;

/// <summary>
/// What the current request's generation used, for its tenant's token budget: the serving path counts each chunk it
/// sends, and <see cref="TokenBudgetMiddleware"/> charges the total once the endpoint has finished. Present only on a
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
}
