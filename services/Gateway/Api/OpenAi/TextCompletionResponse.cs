namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>A text completion, whole or one streamed chunk of it: <c>object</c> is <c>text_completion</c> for both.</summary>
public sealed class TextCompletionResponse
{
    public required string Id { get; init; }

    public string Object => "text_completion";

    public required long Created { get; init; }

    public required string Model { get; init; }

    /// <summary>One choice, or none in the usage chunk of a stream.</summary>
    public required IReadOnlyList<TextCompletionChoice> Choices { get; init; }

    public OpenAiUsage? Usage { get; init; }

    /// <summary>What the answer cost here and at the reference API (an SlmCluster extension).</summary>
    public OpenAiCost? SlmCost { get; init; }

    /// <summary>Which tier of a cascade route answered and why (an SlmCluster extension); only when the request named a route.</summary>
    public OpenAiCascade? SlmCascade { get; init; }
}
