using System.Text.Json;
using SlmCluster.Gateway.Serving.Tools;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// Reads OpenAI's <c>tools</c>, <c>tool_choice</c> and <c>parallel_tool_calls</c>, and the calls and results of
/// earlier turns; only what the shapes say is checked here, the rest is <see cref="ToolCallRules"/>'.
/// </summary>
internal static class OpenAiTools
{
    public static ToolRequest? Read(ChatCompletionRequest body)
    {
        var mode = ToolChoiceKind.Auto;
        string? named = null;
        var choice = body.ToolChoice;
        if (!IsAbsent(choice))
        {
            (mode, named) = Choice(choice!.Value);
        }

        var tools = new List<ToolDefinition>();
        if (!IsAbsent(body.Tools))
        {
            if (body.Tools!.Value.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidOpenAiRequestException("'tools' must be an array of {\"type\": \"function\", \"function\": {...}}.", "tools");
            }

            var i = 0;
            foreach (var tool in body.Tools.Value.EnumerateArray())
            {
                tools.Add(Tool(tool, $"tools[{i}]"));
                i++;
            }
        }

        if (tools.Count == 0)
        {
            return mode switch
            {
                ToolChoiceKind.Required => throw new InvalidOpenAiRequestException("'tool_choice' is \"required\" but no 'tools' are offered.", "tool_choice"),
                ToolChoiceKind.Named => throw new InvalidOpenAiRequestException($"'tool_choice' names the function '{named}', but no 'tools' are offered.", "tool_choice"),
                _ => null,
            };
        }

        return new ToolRequest(tools, mode, named, body.ParallelToolCalls ?? true, "tools", "tool_choice");
    }

    /// <summary>What each message says beyond its text, by position; null when no message has calls or a result.</summary>
    public static ToolTurn?[]? Turns(List<ChatMessageInput?> messages)
    {
        ToolTurn?[]? turns = null;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message is null)
            {
                continue;
            }

            if (message.Role == "tool")
            {
                (turns ??= new ToolTurn?[messages.Count])[i] = ToolTurn.ResultOf(message.ToolCallId ?? "");
            }
            else if (!IsAbsent(message.ToolCalls))
            {
                var calls = Calls(message.ToolCalls!.Value, $"messages[{i}].tool_calls");
                if (calls.Count > 0)
                {
                    if (message.Role != "assistant")
                    {
                        throw new InvalidOpenAiRequestException($"messages[{i}] has 'tool_calls' but is a {message.Role} turn; only assistant turns make calls.", $"messages[{i}].tool_calls");
                    }

                    (turns ??= new ToolTurn?[messages.Count])[i] = ToolTurn.Of(calls);
                }
            }
        }

        return turns;
    }

    private static (ToolChoiceKind Mode, string? Named) Choice(JsonElement choice)
    {
        if (choice.ValueKind == JsonValueKind.String)
        {
            return choice.GetString() switch
            {
                "none" => (ToolChoiceKind.None, null),
                "auto" => (ToolChoiceKind.Auto, null),
                "required" => (ToolChoiceKind.Required, null),
                _ => throw new InvalidOpenAiRequestException($"'tool_choice' is {Short(choice.GetRawText())}; use \"none\", \"auto\", \"required\" or {{\"type\": \"function\", \"function\": {{\"name\": ...}}}}.", "tool_choice"),
            };
        }

        if (choice.ValueKind == JsonValueKind.Object
            && choice.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
            && function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
            && (!choice.TryGetProperty("type", out var type) || type.ValueEquals("function")))
        {
            return (ToolChoiceKind.Named, name.GetString());
        }

        throw new InvalidOpenAiRequestException("'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}.", "tool_choice");
    }

    /// <summary>One function tool, <c>{"type": "function", "function": {"name", "description", "parameters"}}</c>: OpenAI's shape, which Ollama's API shares.</summary>
    internal static ToolDefinition Tool(JsonElement tool, string param)
    {
        if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("type", out var type) || !type.ValueEquals("function"))
        {
            throw new InvalidOpenAiRequestException($"'{param}' must be {{\"type\": \"function\", \"function\": {{\"name\", \"description\", \"parameters\"}}}}; only function tools are supported.", param);
        }

        if (!tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOpenAiRequestException($"'{param}.function' is required: {{\"name\", \"description\", \"parameters\"}}.", $"{param}.function");
        }

        if (!function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
        {
            throw new InvalidOpenAiRequestException($"'{param}.function.name' is required: the function's name.", $"{param}.function.name");
        }

        var description = function.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";
        var parametersParam = $"{param}.function.parameters";
        string parameters;
        if (!function.TryGetProperty("parameters", out var schema) || schema.ValueKind == JsonValueKind.Null)
        {
            parameters = ToolCallRules.NoParameters;
        }
        else if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("type", out var schemaType) || !schemaType.ValueEquals("object"))
        {
            throw new InvalidOpenAiRequestException($"'{parametersParam}' must be a JSON Schema with \"type\": \"object\": the function's arguments are an object.", parametersParam);
        }
        else
        {
            parameters = schema.GetRawText();
        }

        return new ToolDefinition(name.GetString()!, description, parameters, parametersParam);
    }

    private static List<ToolCallMade> Calls(JsonElement calls, string param)
    {
        if (calls.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidOpenAiRequestException($"'{param}' must be an array of {{\"id\", \"type\": \"function\", \"function\": {{\"name\", \"arguments\"}}}}.", param);
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
                throw new InvalidOpenAiRequestException($"'{at}' must be {{\"id\", \"type\": \"function\", \"function\": {{\"name\", \"arguments\"}}}}.", at);
            }

            var arguments = function.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "{}";
            try
            {
                using var parsed = JsonDocument.Parse(arguments);
                // Written back compact, as the grammar has the model write them.
                arguments = parsed.RootElement.GetRawText();
            }
            catch (JsonException)
            {
                throw new InvalidOpenAiRequestException($"'{at}.function.arguments' is not JSON; send the arguments the call was made with.", $"{at}.function.arguments");
            }

            var id = call.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String ? idValue.GetString()! : "";
            made.Add(new ToolCallMade(id, name.GetString()!, arguments));
            i++;
        }

        return made;
    }

    private static string Short(string raw) => raw.Length <= 40 ? raw : raw[..40] + "...";

    private static bool IsAbsent(JsonElement? value) => value is null or { ValueKind: JsonValueKind.Null };
}
