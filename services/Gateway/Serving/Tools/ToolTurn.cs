namespace SlmCluster.Gateway.Serving.Tools;

/// <summary>
/// What a chat turn says beyond its text: the calls of an assistant turn, or the call a <c>tool</c> turn answers.
/// Rendered into the prompt in the model's tool format.
/// </summary>
public sealed record ToolTurn(IReadOnlyList<ToolCallMade> Calls, string ToolCallId)
{
    public static ToolTurn Of(IReadOnlyList<ToolCallMade> calls) => new(calls, "");

    public static ToolTurn ResultOf(string toolCallId) => new([], toolCallId);
}
