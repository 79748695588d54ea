using SlmCluster.Contracts;

namespace SlmCluster.Gateway.Serving.Tools;

/// <summary>
/// The exact text of a model's tool calls in one format: the grammar writes it, the prompt shows it, the reader parses
/// it. A call is <c>CallStart name NameEnd arguments CallEnd</c>; several are joined by <see cref="Separator"/>
/// between <see cref="Opening"/> and <see cref="Closing"/>.
/// </summary>
internal sealed record ToolCallSyntax(string Format, string Opening, string CallStart, string NameEnd, string CallEnd, string Separator, string Closing)
{
    /// <summary>Hermes and Qwen: each call in its own <c>&lt;tool_call&gt;</c> element, one per line.</summary>
    public static readonly ToolCallSyntax Hermes = new(ToolCallFormats.Hermes, "", "<tool_call>\n{\"name\": \"", "\", \"arguments\": ", "}\n</tool_call>", "\n", "");

    /// <summary>Any other model: one JSON object holding the calls.</summary>
    public static readonly ToolCallSyntax Json = new(ToolCallFormats.Json, "{\"tool_calls\": [", "{\"name\": \"", "\", \"arguments\": ", "}", ", ", "]}");

    public static ToolCallSyntax Of(string format) => format == ToolCallFormats.Hermes ? Hermes : Json;

    /// <summary>How an answer of calls begins; a text answer may not begin with its first character.</summary>
    public string Start => Opening + CallStart;

    /// <summary>The text of <paramref name="calls"/>, as a model would have written them.</summary>
    public string Write(IEnumerable<ToolCallMade> calls) =>
        Opening + string.Join(Separator, calls.Select(call => CallStart + call.Name + NameEnd + call.Arguments + CallEnd)) + Closing;
}
