namespace SlmCluster.Gateway.Serving.Tools;

/// <summary>The tools a request offers and how it lets the model use them, as a front door read them.</summary>
/// <param name="Named">The tool to call when <paramref name="Mode"/> is <see cref="ToolChoiceKind.Named"/>.</param>
/// <param name="Parallel">Whether one answer may hold several calls.</param>
/// <param name="Param">The request field the tools came from, as the front door names it, for refusals.</param>
/// <param name="ChoiceParam">The field the choice came from.</param>
public sealed record ToolRequest(
    IReadOnlyList<ToolDefinition> Tools,
    ToolChoiceKind Mode,
    string? Named,
    bool Parallel,
    string Param,
    string ChoiceParam)
{
    /// <summary>Whether the model is offered tools at all.</summary>
    public bool Offered => Mode != ToolChoiceKind.None && Tools.Count > 0;
}
