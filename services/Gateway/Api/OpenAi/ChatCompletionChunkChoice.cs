using System.Text.Json.Serialization;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>The choice of one streamed chat chunk: a piece of the message, then the finish reason.</summary>
public sealed class ChatCompletionChunkChoice
{
    public int Index { get; init; }

    public required ChatDelta Delta { get; init; }

    /// <summary>When the request asked: the entries of this chunk's content; null in the role and finish chunks.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public ChatCompletionLogprobs? Logprobs { get; init; }

    /// <summary>Null until the last choice chunk, as OpenAI sends it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}
