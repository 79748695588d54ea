namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>A whole chat completion: <c>object</c> is <c>chat.completion</c>.</summary>
public sealed class ChatCompletionResponse
{
    public required string Id { get; init; }

    public string Object => "chat.completion";

    public required long Created { get; init; }

    public required string Model { get; init; }

    public required IReadOnlyList<ChatCompletionChoice> Choices { get; init; }

    public required OpenAiUsage Usage { get; init; }

    /// <summary>What the answer cost here and at the reference API (an SlmCluster extension).</summary>
    public OpenAiCost? SlmCost { get; init; }

    /// <summary>Which tier of a cascade route answered and why (an SlmCluster extension); only when the request named a route.</summary>
    public OpenAiCascade? SlmCascade { get; init; }
}
