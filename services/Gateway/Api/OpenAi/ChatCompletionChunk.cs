namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>One server-sent event of a streamed chat completion: <c>object</c> is <c>chat.completion.chunk</c>.</summary>
public sealed class ChatCompletionChunk
{
    public required string Id { get; init; }

    public string Object => "chat.completion.chunk";

    public required long Created { get; init; }

    public required string Model { get; init; }

    /// <summary>One choice, or none in the usage chunk.</summary>
    public required IReadOnlyList<ChatCompletionChunkChoice> Choices { get; init; }

    /// <summary>Only in the last chunk, and only when <c>stream_options.include_usage</c> asked for it.</summary>
    public OpenAiUsage? Usage { get; init; }

    /// <summary>What the answer cost here and at the reference API (an SlmCluster extension).</summary>
    public OpenAiCost? SlmCost { get; init; }

    /// <summary>Which tier of a cascade route answered and why (an SlmCluster extension); only when the request named a route.</summary>
    public OpenAiCascade? SlmCascade { get; init; }
}
