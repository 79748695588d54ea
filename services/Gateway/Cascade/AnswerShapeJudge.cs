using System.Text.Json;
using Json.Schema;
using SlmCluster.Gateway.Serving;
using SlmCluster.Gateway.Serving.Tools;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Cascade;

/// <summary>
/// Whether a judged tier's answer has the shape the request asked for, before its confidence is weighed: a tier's
/// worker decodes under the request's grammar, but an answer cut at max_tokens (or by a stop string) is not whole.
/// A schema is checked by a validator we did not write (JsonSchema.Net), so a gap in our converter escalates instead
/// of reaching the caller. An answer to a request with tools must be calls of the tools offered, as many as allowed,
/// whose arguments validate against each tool's parameters; where the model may choose text, text is a valid shape.
/// </summary>
public static class AnswerShapeJudge
{
    /// <summary>Null when <paramref name="text"/> has the shape <paramref name="format"/> asks for (or none is asked); else the escalation's reason.</summary>
    public static string? Problem(Serving.ResponseFormat? format, string text, FinishReason finish)
    {
        if (format is null)
        {
            return null;
        }

        if (finish == FinishReason.Length)
        {
            return "escalated: the answer was cut at max_tokens before its format was complete";
        }

        if (format.Kind == ResponseFormatKind.Grammar)
        {
            // The worker decoded it under the grammar and it ended where the grammar may end: nothing more to check here.
            return null;
        }

        JsonDocument answer;
        try
        {
            answer = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            return $"escalated: the answer is not JSON ({e.Message})";
        }

        using (answer)
        {
            if (format.Kind == ResponseFormatKind.JsonObject)
            {
                return answer.RootElement.ValueKind == JsonValueKind.Object ? null : "escalated: the answer is JSON but not an object";
            }

            return SchemaProblem(format.Text, answer.RootElement);
        }
    }

    /// <summary>Null when <paramref name="text"/> is a valid answer to <paramref name="tools"/> (or none are offered); else the escalation's reason.</summary>
    /// <param name="reader">The request's reader of calls, in the format its tiers were asked to write them.</param>
    public static string? ToolCallProblem(ToolRequest? tools, ToolCallReader? reader, string text, FinishReason finish)
    {
        if (tools is not { Offered: true } || reader is null)
        {
            return null;
        }

        if (finish == FinishReason.Length)
        {
            return "escalated: the answer was cut at max_tokens before its tool calls were complete";
        }

        var (calls, complete) = reader.ReadWhole(text);
        if (calls is null)
        {
            // The model chose to answer in text, which the tool choice allows.
            return null;
        }

        if (!complete)
        {
            return "escalated: the answer's tool calls are not whole calls in the tool format";
        }

        if (calls.Count == 0)
        {
            return "escalated: the answer holds no tool call";
        }

        if (calls.Count > 1 && !tools.Parallel)
        {
            return $"escalated: the answer makes {calls.Count} tool calls where one is allowed";
        }

        foreach (var call in calls)
        {
            var tool = tools.Tools.FirstOrDefault(t => t.Name == call.Name);
            if (tool is null || (tools.Mode == ToolChoiceKind.Named && call.Name != tools.Named))
            {
                return $"escalated: tool call {call.Index + 1} names '{call.Name}', which is not {(tools.Mode == ToolChoiceKind.Named ? "the tool asked for" : "a tool offered")}";
            }

            JsonDocument arguments;
            try
            {
                arguments = JsonDocument.Parse(call.Arguments);
            }
            catch (JsonException e)
            {
                return $"escalated: the arguments of tool call {call.Index + 1} ('{call.Name}') are not JSON ({e.Message})";
            }

            using (arguments)
            {
                if (SchemaProblem(tool.Parameters, arguments.RootElement) is { } problem)
                {
                    return $"{problem} of the parameters of '{call.Name}' (tool call {call.Index + 1})";
                }
            }
        }

        return null;
    }

    private static string? SchemaProblem(string schemaText, JsonElement answer)
    {
        JsonSchema schema;
        try
        {
            // A registry of its own per schema: its $id must not collide with another request's.
            schema = JsonSchema.FromText(schemaText, new BuildOptions { SchemaRegistry = new SchemaRegistry() },
                new Uri($"urn:slm:request-schema:{Guid.NewGuid():N}"));
        }
        catch (Exception e) when (e is JsonSchemaException or JsonException or RefResolutionException or ArgumentException)
        {
            return $"escalated: the schema could not be checked ({e.Message})";
        }

        var results = schema.Evaluate(answer, new EvaluationOptions { RequireFormatValidation = true, OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return null;
        }

        var first = (results.Details ?? []).FirstOrDefault(d => d.Errors is { Count: > 0 });
        var where = first is null ? "" : $" at '{first.InstanceLocation}': {first.Errors!.First().Value}";
        return $"escalated: the answer does not validate against the schema{where}";
    }
}
