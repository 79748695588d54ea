using System.Text.Json;
using Json.Schema;
using SlmCluster.Gateway.Serving;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Cascade;

/// <summary>
/// Whether a judged tier's answer has the shape the request asked for, before its confidence is weighed: a tier's
/// worker decodes under the request's grammar, but an answer cut at max_tokens (or by a stop string) is not whole.
/// A schema is checked by a validator we did not write (JsonSchema.Net), so a gap in our converter escalates instead
/// of reaching the caller.
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
