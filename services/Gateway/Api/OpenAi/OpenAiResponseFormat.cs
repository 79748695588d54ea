using System.Text.Json;
using SlmCluster.Gateway.Serving;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// Reads the answer's shape from OpenAI's <c>response_format</c> and llama-server's <c>json_schema</c> and
/// <c>grammar</c>; at most one of them may ask for one. The rules turn it into a grammar.
/// </summary>
internal static class OpenAiResponseFormat
{
    public static ResponseFormat? Read(OpenAiGenerationRequest body)
    {
        var fromResponseFormat = FromResponseFormat(body.ResponseFormat);
        var fromJsonSchema = IsAbsent(body.JsonSchema) ? null : ResponseFormat.JsonSchema(Schema(body.JsonSchema!.Value, "json_schema"), "json_schema");
        var fromGrammar = string.IsNullOrEmpty(body.Grammar) ? null : ResponseFormat.Grammar(body.Grammar, "grammar");
        if (fromGrammar is not null && (fromJsonSchema ?? fromResponseFormat) is not null)
        {
            throw new InvalidOpenAiRequestException(
                $"'grammar' is sent together with '{(fromJsonSchema is not null ? "json_schema" : "response_format")}'; send only one way to shape the answer.", "grammar");
        }

        if (fromJsonSchema is not null && fromResponseFormat is not null)
        {
            throw new InvalidOpenAiRequestException(
                "'json_schema' is sent together with a 'response_format'; send the schema in one of them.", "json_schema");
        }

        return fromGrammar ?? fromJsonSchema ?? fromResponseFormat;
    }

    private static ResponseFormat? FromResponseFormat(JsonElement? format)
    {
        if (IsAbsent(format))
        {
            return null;
        }

        if (format!.Value.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOpenAiRequestException(
                "'response_format' must be an object: {\"type\": \"text\"}, {\"type\": \"json_object\"} or {\"type\": \"json_schema\", \"json_schema\": {...}}.", "response_format");
        }

        if (!format.Value.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            throw new InvalidOpenAiRequestException("'response_format.type' is required: text, json_object or json_schema.", "response_format.type");
        }

        if (type.ValueEquals("text"))
        {
            return null;
        }

        if (type.ValueEquals("json_object"))
        {
            return ResponseFormat.JsonObject("response_format");
        }

        if (!type.ValueEquals("json_schema"))
        {
            throw new InvalidOpenAiRequestException(
                $"'response_format.type' is {type.GetRawText()}; use text, json_object or json_schema.", "response_format.type");
        }

        if (!format.Value.TryGetProperty("json_schema", out var jsonSchema) || jsonSchema.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOpenAiRequestException(
                "'response_format.json_schema' is required with type json_schema: {\"name\", \"schema\", \"strict\"}.", "response_format.json_schema");
        }

        // "strict" is accepted either way: the answer always follows the schema, since it is decoded under its grammar.
        if (!jsonSchema.TryGetProperty("schema", out var schema) || schema.ValueKind == JsonValueKind.Null)
        {
            throw new InvalidOpenAiRequestException(
                "'response_format.json_schema.schema' is required: the JSON Schema the answer must follow.", "response_format.json_schema.schema");
        }

        const string Param = "response_format.json_schema.schema";
        return ResponseFormat.JsonSchema(Schema(schema, Param), Param);
    }

    private static string Schema(JsonElement schema, string param) => schema.ValueKind is JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False
        ? schema.GetRawText()
        : throw new InvalidOpenAiRequestException($"'{param}' must be a JSON Schema: an object (or true / false).", param);

    private static bool IsAbsent(JsonElement? value) => value is null or { ValueKind: JsonValueKind.Null };
}
