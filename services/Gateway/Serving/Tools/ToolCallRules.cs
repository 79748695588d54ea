using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SlmCluster.Contracts;
using SlmCluster.StructuredOutput;

namespace SlmCluster.Gateway.Serving.Tools;

/// <summary>
/// Offers a request's tools to a model in its tool format: the tool list and the earlier calls and results rendered
/// into the chat turns, and a grammar that makes the answer valid calls (required, a named tool) or text or valid
/// calls (auto). Each tool's parameters are converted by the structured-output converter (and cached), so a schema it
/// cannot enforce is refused naming the keyword and its path.
/// </summary>
public sealed partial class ToolCallRules
{
    /// <summary>The most calls one answer may hold when parallel calls are allowed.</summary>
    public const int MaxParallelCalls = 4;

    /// <summary>The most tools one request may offer.</summary>
    public const int MaxTools = 64;

    private const string EmptyParameters = """{"type": "object", "properties": {}}""";

    private readonly GrammarCache _grammars = new();

    /// <summary>
    /// The request with its tools and tool turns rendered for <paramref name="format"/> (a <see cref="ToolCallFormats"/>
    /// name), and the reader of its answer; the reader is null when no tools are offered.
    /// </summary>
    /// <exception cref="InvalidRequestException">A tool is malformed, its schema cannot be enforced, or it conflicts with a response format.</exception>
    public (ServingRequest Request, ToolCallReader? Reader) Apply(ServingRequest request, string format)
    {
        var tools = request.Tools;
        if (tools is null && request.ToolTurns is null)
        {
            return (request, null);
        }

        var syntax = ToolCallSyntax.Of(format);
        var offered = tools is { Offered: true };
        string? grammar = null;
        if (offered)
        {
            Check(request, tools!);
            grammar = Grammar(tools!, syntax);
        }

        var messages = Render(request, offered ? tools : null, syntax);
        var call = request.Call with { Messages = messages, Grammar = grammar ?? request.Call.Grammar };
        var reader = offered ? new ToolCallReader(syntax, callsOnly: tools!.Mode != ToolChoiceKind.Auto) : null;
        return (request with { Call = call, ToolTurns = null }, reader);
    }

    private static void Check(ServingRequest request, ToolRequest tools)
    {
        if (request.ResponseFormat is { } format)
        {
            throw Refused($"'{tools.Param}' is sent together with '{format.Param}'; a tool call's arguments follow the tool's parameters, so send either tools or a response format.", format.Param);
        }

        if (request.Call.Messages is not { Count: > 0 })
        {
            throw Refused($"'{tools.Param}' needs a chat: tools are offered with messages, not with a raw prompt.", tools.Param);
        }

        if (tools.Tools.Count > MaxTools)
        {
            throw Refused($"The request offers {tools.Tools.Count} tools; the limit is {MaxTools}.", tools.Param);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tool in tools.Tools)
        {
            if (!ToolName().IsMatch(tool.Name))
            {
                throw Refused($"The tool name '{Short(tool.Name)}' is not valid: use 1 to 64 letters, digits, underscores and dashes.", tools.Param);
            }

            if (!names.Add(tool.Name))
            {
                throw Refused($"The tool '{tool.Name}' is offered twice; tool names must be unique.", tools.Param);
            }
        }

        if (tools.Mode == ToolChoiceKind.Named && !names.Contains(tools.Named ?? ""))
        {
            throw Refused($"The tool choice names '{Short(tools.Named ?? "")}', which is not one of the tools offered ({string.Join(", ", names)}).", tools.ChoiceParam);
        }
    }

    private string Grammar(ToolRequest tools, ToolCallSyntax syntax)
    {
        var text = new StringBuilder();
        text.Append("root ::= tc-calls").Append(tools.Mode == ToolChoiceKind.Auto ? " | tc-text" : "").Append('\n');
        text.Append("tc-calls ::= ").Append(Literal(syntax.Opening + syntax.CallStart)).Append(" tc-call ");
        if (tools.Parallel)
        {
            text.Append('(').Append(Literal(syntax.Separator + syntax.CallStart)).Append(" tc-call){0,").Append(MaxParallelCalls - 1).Append("} ");
        }

        if (syntax.Closing.Length > 0)
        {
            text.Append(Literal(syntax.Closing));
        }

        text.Append('\n');
        text.Append("tc-call ::= (");
        var first = true;
        var rules = new StringBuilder();
        for (var i = 0; i < tools.Tools.Count; i++)
        {
            var tool = tools.Tools[i];
            if (tools.Mode == ToolChoiceKind.Named && tool.Name != tools.Named)
            {
                continue;
            }

            GbnfGrammar arguments;
            try
            {
                arguments = _grammars.GetOrConvert(tool.Parameters);
            }
            catch (SchemaNotSupportedException e)
            {
                throw Refused($"The parameters of tool '{tool.Name}': {e.Message}", tool.Param);
            }

            var prefix = $"t{i}-";
            text.Append(first ? " " : " | ").Append(Literal(tool.Name + syntax.NameEnd)).Append(' ').Append(prefix).Append("root");
            first = false;
            rules.Append(GbnfRuleNames.Prefixed(arguments, prefix));
        }

        text.Append(" ) ").Append(Literal(syntax.CallEnd)).Append('\n');
        // A text answer may be anything that does not open as a call does.
        text.Append("tc-text ::= [^").Append(Escape(syntax.Start[..1])).Append("] .*\n");
        text.Append(rules);
        return text.ToString();
    }

    private static List<ChatTurnMessage> Render(ServingRequest request, ToolRequest? tools, ToolCallSyntax syntax)
    {
        var messages = request.Call.Messages ?? [];
        var turns = request.ToolTurns;
        var rendered = new List<ChatTurnMessage>(messages.Count + 1);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        if (tools is not null)
        {
            var block = ToolsBlock(tools, syntax);
            if (messages.Count > 0 && messages[0].Role == "system")
            {
                rendered.Add(new ChatTurnMessage("system", messages[0].Content.Length == 0 ? block : messages[0].Content + "\n\n" + block));
            }
            else
            {
                rendered.Add(new ChatTurnMessage("system", block));
            }
        }

        for (var i = rendered.Count > 0 && messages.Count > 0 && messages[0].Role == "system" ? 1 : 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var turn = turns is not null && i < turns.Count ? turns[i] : null;
            if (message.Role == "tool")
            {
                var id = turn?.ToolCallId ?? "";
                var result = syntax == ToolCallSyntax.Hermes
                    ? "<tool_response>\n" + message.Content + "\n</tool_response>"
                    : $"Result of {(names.TryGetValue(id, out var name) ? name : "a tool")} (call {id}):\n{message.Content}";
                // Consecutive results answer one turn's calls: they are one user turn, as Qwen's template writes them.
                if (rendered.Count > 0 && rendered[^1].Role == "user" && i > 0 && messages[i - 1].Role == "tool")
                {
                    rendered[^1] = rendered[^1] with { Content = rendered[^1].Content + "\n" + result };
                }
                else
                {
                    rendered.Add(new ChatTurnMessage("user", result));
                }

                continue;
            }

            if (turn is { Calls.Count: > 0 })
            {
                foreach (var made in turn.Calls)
                {
                    names[made.Id] = made.Name;
                }

                var written = syntax.Write(turn.Calls);
                rendered.Add(message with { Content = message.Content.Length == 0 ? written : message.Content + "\n" + written });
                continue;
            }

            rendered.Add(message);
        }

        return rendered;
    }

    private static string ToolsBlock(ToolRequest tools, ToolCallSyntax syntax)
    {
        var lines = new StringBuilder();
        foreach (var tool in tools.Tools)
        {
            var function = new JsonObject { ["name"] = tool.Name };
            if (tool.Description.Length > 0)
            {
                function["description"] = tool.Description;
            }

            function["parameters"] = JsonNode.Parse(tool.Parameters);
            lines.Append(new JsonObject { ["type"] = "function", ["function"] = function }.ToJsonString()).Append('\n');
        }

        var must = tools.Mode switch
        {
            ToolChoiceKind.Required => "\nAnswer with one or more calls.",
            ToolChoiceKind.Named => $"\nAnswer with a call of {tools.Named}.",
            _ => "",
        };
        if (syntax == ToolCallSyntax.Hermes)
        {
            return "# Tools\n\nYou may call one or more of these functions to help with the user's request. Their signatures are inside <tools></tools>:\n<tools>\n"
                + lines + "</tools>\n\nTo call a function, write a JSON object with its name and arguments inside <tool_call></tool_call> tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <arguments-object>}\n</tool_call>" + must;
        }

        return "You may call these functions; each line is one, with the JSON Schema of its arguments:\n" + lines
            + "\nTo call functions, answer with only this JSON: {\"tool_calls\": [{\"name\": <function-name>, \"arguments\": <arguments-object>}]}. Otherwise answer in text." + must;
    }

    /// <summary>The parameters of a tool that sends none: it takes no arguments.</summary>
    public static string NoParameters => EmptyParameters;

    private static string Literal(string text) => "\"" + Escape(text) + "\"";

    private static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("[", "\\[").Replace("]", "\\]");

    private static string Short(string raw) => raw.Length <= 40 ? raw : raw[..40] + "...";

    private static InvalidRequestException Refused(string message, string param) => new(new RequestProblem(message, param));

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex ToolName();
}
