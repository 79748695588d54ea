using System.Text.Json;
using System.Text.Json.Serialization;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>The choice of one streamed chat chunk: a piece of the message, then the finish reason.</summary>
public sealed class ChatCompletionChunkChoice
{
    public int Index { get; init; }

    public required ChatDelta Delta { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public JsonElement? Logprobs => null;

    /// <summary>Null until the last choice chunk, as OpenAI sends it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}
