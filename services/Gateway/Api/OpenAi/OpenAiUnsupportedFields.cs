using System.Globalization;
using System.Text.Json;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// Refuses the fields a client sends to change an answer that the gateway does not honour. Dropping them would give
/// a 200 of the wrong shape (text where a tool call was asked for, an unpenalised answer), the worst answer a program
/// can get; a value that changes nothing (a penalty of 0, an empty <c>tools</c>) is accepted, as clients send those.
/// </summary>
internal static class OpenAiUnsupportedFields
{
    public static void Refuse(OpenAiGenerationRequest body)
    {
        Tools(body.Functions, "functions", "support the deprecated functions; send them as 'tools'");
        ToolChoice(body.FunctionCall, "function_call", "support the deprecated function_call; send it as 'tool_choice'");
        Neutral(body.RepetitionPenalty, 1, "repetition_penalty", "apply a repetition penalty");
        Neutral(body.MinP, 0, "min_p", "apply min-p sampling");
        Neutral(body.TypicalP, 1, "typical_p", "apply typical sampling");
        Neutral(body.Mirostat, 0, "mirostat", "apply mirostat sampling");
        Neutral(body.DryMultiplier, 0, "dry_multiplier", "apply the DRY penalty");
        Neutral(body.XtcProbability, 0, "xtc_probability", "apply XTC sampling");
    }

    public static void Refuse(CompletionRequest body)
    {
        Refuse((OpenAiGenerationRequest)body);
        Neutral(body.BestOf, 1, "best_of", "generate several completions to pick the best");
        Tools(body.Tools, "tools", "call tools from /v1/completions; offer them on /v1/chat/completions");
        ToolChoice(body.ToolChoice, "tool_choice", "call tools from /v1/completions; choose them on /v1/chat/completions");
        if (body.Echo == true)
        {
            throw Unsupported("echo", "true", "echo the prompt", "false");
        }

        if (!string.IsNullOrEmpty(body.Suffix))
        {
            throw Unsupported("suffix", "set", "complete text before a suffix", "an empty string");
        }
    }

    /// <summary>An empty list offers none and changes nothing.</summary>
    private static void Tools(JsonElement? tools, string param, string what)
    {
        if (IsAbsent(tools) || tools!.Value is { ValueKind: JsonValueKind.Array } list && list.GetArrayLength() == 0)
        {
            return;
        }

        throw Unsupported(param, Describe(tools!.Value), what, "an empty array");
    }

    /// <summary><c>"none"</c> calls nothing; so does <c>"auto"</c> where no tools can be offered.</summary>
    private static void ToolChoice(JsonElement? choice, string param, string what)
    {
        if (IsAbsent(choice) || choice!.Value.ValueKind == JsonValueKind.String && (choice.Value.ValueEquals("none") || choice.Value.ValueEquals("auto")))
        {
            return;
        }

        throw Unsupported(param, Describe(choice!.Value), what, "\"none\"");
    }

    private static void Neutral(double? value, double neutral, string param, string what)
    {
        if (value is { } v && v != neutral)
        {
            throw Unsupported(param, v.ToString(CultureInfo.InvariantCulture), what, neutral.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static bool IsAbsent(JsonElement? value) => value is null or { ValueKind: JsonValueKind.Null };

    private static InvalidOpenAiRequestException Unsupported(string param, string value, string what, string? neutral) => new(
        $"'{param}' is {value}, but this gateway does not {what}; leave it out{(neutral is null ? "" : $" or send {neutral}")} rather than get an answer that ignores it.",
        param);

    private static string Short(string raw) => raw.Length <= 40 ? raw : raw[..40] + "...";

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        // Raw text: the value as sent, escapes and all, cut short so that a long one does not fill the message.
        JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => Short(value.GetRawText()),
        _ => "null",
    };
}
