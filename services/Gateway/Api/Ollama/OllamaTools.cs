using System.Text.Json;
using SlmCluster.Gateway.Api.OpenAi;
using SlmCluster.Gateway.Serving.Tools;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>
/// Reads <c>/api/chat</c>'s <c>tools</c> and the calls and results of earlier turns into the pipeline's tool request,
/// which <see cref="ToolCallRules"/> renders and enforces as for every front door. Ollama has no <c>tool_choice</c>:
/// the model chooses text or calls, and may make several. Its calls carry their arguments as an object and often no
/// id; a result names its call by <c>tool_call_id</c>, else by <c>tool_name</c>, else it answers the oldest call not
/// yet answered.
/// </summary>
internal static class OllamaTools
{
    public static ToolRequest? Read(JsonElement? tools)
    {
        if (tools is null or { ValueKind: JsonValueKind.Null })
        {
            return null;
        }

        if (tools.Value.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidOllamaRequestException("'tools' must be an array of {\"type\": \"function\", \"function\": {\"name\", \"description\", \"parameters\"}}.");
        }

        var offered = new List<ToolDefinition>();
        var i = 0;
        foreach (var tool in tools.Value.EnumerateArray())
        {
            // The tool's shape is OpenAI's, so its reading (and its refusals) are the OpenAI API's.
            offered.Add(OpenAiTools.Tool(tool, $"tools[{i}]"));
            i++;
        }

        return offered.Count == 0 ? null : new ToolRequest(offered, ToolChoiceKind.Auto, null, Parallel: true, "tools", "tools");
    }

    /// <summary>What each message says beyond its text, by position; null when no message has calls or a result.</summary>
    public static ToolTurn?[]? Turns(IReadOnlyList<OllamaChatMessage> messages)
    {
        ToolTurn?[]? turns = null;
        var unanswered = new List<ToolCallMade>();
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message.Role == "tool")
            {
                var answered = Answered(unanswered, message);
                (turns ??= new ToolTurn?[messages.Count])[i] = ToolTurn.ResultOf(answered?.Id ?? message.ToolCallId ?? "");
                continue;
            }

            if (message.ToolCalls is not { ValueKind: not JsonValueKind.Null } calls)
            {
                continue;
            }

            var made = Calls(calls, i);
            if (made.Count == 0)
            {
                continue;
            }

            if (message.Role != "assistant")
            {
                throw new InvalidOllamaRequestException($"messages[{i}] has 'tool_calls' but is a {message.Role} turn; only assistant turns make calls.");
            }

            unanswered.AddRange(made);
            (turns ??= new ToolTurn?[messages.Count])[i] = ToolTurn.Of(made);
        }

        return turns;
    }

    /// <summary>The call a result answers, taken off the unanswered ones; null when none is left.</summary>
    private static ToolCallMade? Answered(List<ToolCallMade> unanswered, OllamaChatMessage result)
    {
        var at = !string.IsNullOrEmpty(result.ToolCallId) ? unanswered.FindIndex(c => c.Id == result.ToolCallId)
            : !string.IsNullOrEmpty(result.ToolName) ? unanswered.FindIndex(c => c.Name == result.ToolName)
            : 0;
        if (at < 0 || at >= unanswered.Count)
        {
            return null;
        }

        var call = unanswered[at];
        unanswered.RemoveAt(at);
        return call;
    }

    private static List<ToolCallMade> Calls(JsonElement calls, int message)
    {
        var param = $"messages[{message}].tool_calls";
        if (calls.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidOllamaRequestException($"'{param}' must be an array of {{\"function\": {{\"name\", \"arguments\"}}}}.");
        }

        var made = new List<ToolCallMade>();
        var i = 0;
        foreach (var call in calls.EnumerateArray())
        {
            var at = $"{param}[{i}]";
            if (call.ValueKind != JsonValueKind.Object
                || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                throw new InvalidOllamaRequestException($"'{at}' must be {{\"function\": {{\"name\", \"arguments\"}}}}.");
            }

            // Ollama sends arguments as an object; a JSON string holding one (OpenAI's way) is read too.
            var arguments = "{}";
            if (function.TryGetProperty("arguments", out var value))
            {
                arguments = value.ValueKind switch
                {
                    JsonValueKind.Object => value.GetRawText(),
                    JsonValueKind.Null => "{}",
                    JsonValueKind.String => ObjectText(value.GetString()!, at),
                    _ => throw new InvalidOllamaRequestException($"'{at}.function.arguments' must be an object: the arguments the call was made with."),
                };
            }

            // A call with no id gets one here, so that its result can name it in the prompt.
            var id = call.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String && idValue.GetString() is { Length: > 0 } given
                ? given
                : $"call_{message}_{i}";
            made.Add(new ToolCallMade(id, name.GetString()!, arguments));
            i++;
        }

        return made;
    }

    private static string ObjectText(string text, string at)
    {
        try
        {
            using var parsed = JsonDocument.Parse(text);
            if (parsed.RootElement.ValueKind == JsonValueKind.Object)
            {
                return text;
            }
        }
        catch (JsonException)
        {
        }

        throw new InvalidOllamaRequestException($"'{at}.function.arguments' must be an object: the arguments the call was made with.");
    }
}
