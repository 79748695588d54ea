namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary><c>usage</c> of a completion.</summary>
public sealed class OpenAiUsage
{
    public int PromptTokens { get; init; }

    public int CompletionTokens { get; init; }

    public int TotalTokens { get; init; }

    public static OpenAiUsage From(Protocol.V1.Usage? usage) => new()
    {
        PromptTokens = usage?.PromptTokens ?? 0,
        CompletionTokens = usage?.CompletionTokens ?? 0,
        TotalTokens = (usage?.PromptTokens ?? 0) + (usage?.CompletionTokens ?? 0),
    };
}
