using System.Text.Json.Serialization;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>One generated token of a chat completion and how likely the model found it.</summary>
public sealed class ChatTokenLogprob
{
    public required string Token { get; init; }

    /// <summary>Natural log of the token's probability; -9999 where it is too small to represent, as OpenAI writes it.</summary>
    public float Logprob { get; init; }

    /// <summary>The token's UTF-8 bytes, exact where <see cref="Token"/> is lossy (part of a multi-byte character).</summary>
    [JsonConverter(typeof(ByteValuesJsonConverter))]
    public required byte[] Bytes { get; init; }

    /// <summary>The most likely tokens at this position, best first; empty unless <c>top_logprobs</c> asked.</summary>
    public required IReadOnlyList<ChatTopLogprob> TopLogprobs { get; init; }
}
