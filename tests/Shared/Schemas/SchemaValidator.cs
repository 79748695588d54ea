using System.Text.Json;
using Json.Schema;

namespace SlmCluster.Testing;

/// <summary>Validation by a validator we did not write (JsonSchema.Net), formats included.</summary>
internal static class SchemaValidator
{
    /// <summary>How <see cref="Problem"/> starts when the validator refuses the schema itself (not the instance).</summary>
    public const string RefusedSchema = "JsonSchema.Net refuses the schema itself: ";

    private static int s_counter;

    /// <summary>Null when <paramref name="json"/> parses and is valid against <paramref name="schemaText"/>; else why not.</summary>
    public static string? Problem(string schemaText, string json)
    {
        JsonDocument instance;
        try
        {
            instance = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            return $"not JSON: {e.Message}";
        }
        using (instance)
        {
            var build = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
            var baseUri = new Uri($"http://localhost/schemas/{Interlocked.Increment(ref s_counter)}.json");
            JsonSchema schema;
            try
            {
                schema = JsonSchema.FromText(schemaText, build, baseUri);
            }
            catch (Exception e) when (e is JsonSchemaException or JsonException or RefResolutionException or ArgumentException)
            {
                return $"{RefusedSchema}{e.Message}";
            }
            EvaluationResults results = schema.Evaluate(instance.RootElement,
                new EvaluationOptions { RequireFormatValidation = true, OutputFormat = OutputFormat.List });
            if (results.IsValid)
            {
                return null;
            }
            IEnumerable<string> errors = (results.Details ?? []).Where(d => d.Errors is not null)
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key} {e.Value}"));
            return "invalid: " + string.Join("; ", errors);
        }
    }
}
