using System.Text.Json.Serialization;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>An alternative token at a position of a chat completion.</summary>
public sealed class ChatTopLogprob
{
    public required string Token { get; init; }

    public float Logprob { get; init; }

    [JsonConverter(typeof(ByteValuesJsonConverter))]
    public required byte[] Bytes { get; init; }
}
