using System.Text.Json;

namespace SlmCluster.Gateway.Cascade.ExternalApi;

/// <summary>
/// What an external tier answers, read tolerantly: a whole chat completion, one event of a streamed one (its
/// <c>choices</c> carry a <c>delta</c> instead of a <c>message</c>; the last carries <c>usage</c>), or an error body.
/// </summary>
internal sealed record ExternalChatCompletion(IReadOnlyList<ExternalChoice>? Choices, ExternalUsage? Usage, JsonElement? Error)
{
    /// <summary>
    /// The provider's error, when it sent one: the <c>message</c> of OpenAI's <c>{"error":{"message":...}}</c>, else
    /// the <c>error</c> value as it came (some providers send a string); null when there is none.
    /// </summary>
    public string? ErrorMessage => Error switch
    {
        null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
        { ValueKind: JsonValueKind.Object } error when error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
            => message.GetString(),
        { ValueKind: JsonValueKind.String } error => error.GetString(),
        { } error => error.GetRawText(),
    };
}
