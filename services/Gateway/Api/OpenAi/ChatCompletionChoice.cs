using System.Text.Json;
using System.Text.Json.Serialization;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>One choice of a whole chat completion.</summary>
public sealed class ChatCompletionChoice
{
    public int Index { get; init; }

    public required ChatMessageOutput Message { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public JsonElement? Logprobs => null;

    public required string FinishReason { get; init; }
}
