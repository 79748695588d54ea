namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// A call in <c>message.tool_calls</c>, or a piece of one in <c>delta.tool_calls</c> (index always; id, type and the
/// name in the call's first piece; the arguments' text in pieces).
/// </summary>
public sealed class OpenAiToolCall
{
    /// <summary>Set in stream pieces only.</summary>
    public int? Index { get; init; }

    public string? Id { get; init; }

    public string? Type { get; init; }

    public required OpenAiFunctionCall Function { get; init; }
}
