using System.Text.Json;
using SlmCluster.StructuredOutput.Schema;

namespace SlmCluster.StructuredOutput;

/// <summary>
/// JSON Schema to GBNF for llama.cpp's grammar sampler: every text the grammar accepts is JSON that validates against
/// the schema. What the converter cannot enforce it refuses with a <see cref="SchemaNotSupportedException"/> naming
/// the keyword and its place in the schema, never by dropping it. See the library's README for what is supported.
/// </summary>
public static class JsonSchemaGrammar
{
    /// <summary>The grammar of the JSON values valid against <paramref name="schema"/>.</summary>
    /// <exception cref="SchemaNotSupportedException">The schema uses something the converter does not enforce, is malformed, or is over a limit.</exception>
    public static GbnfGrammar Convert(JsonElement schema, JsonSchemaGrammarOptions? options = null)
    {
        options ??= JsonSchemaGrammarOptions.Default;
        options.Validate();
        return new GbnfGrammar(SchemaConverter.Convert(schema, options));
    }

    /// <summary>Parses <paramref name="schemaJson"/> and converts it; text that is not JSON is refused the same way.</summary>
    public static GbnfGrammar Convert(string schemaJson, JsonSchemaGrammarOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        options ??= JsonSchemaGrammarOptions.Default;
        if (schemaJson.Length > options.MaxSchemaLength)
        {
            throw new SchemaNotSupportedException("", "#", $"the schema is {schemaJson.Length} characters long, over the limit of {options.MaxSchemaLength}");
        }
        using JsonDocument document = Parse(schemaJson, options);
        return Convert(document.RootElement, options);
    }

    /// <summary>Any JSON object (what <c>response_format: {"type": "json_object"}</c> asks for).</summary>
    public static GbnfGrammar AnyObject(JsonSchemaGrammarOptions? options = null)
    {
        options ??= JsonSchemaGrammarOptions.Default;
        options.Validate();
        return new GbnfGrammar(SchemaConverter.AnyObject(options));
    }

    /// <summary>Any JSON value.</summary>
    public static GbnfGrammar AnyValue(JsonSchemaGrammarOptions? options = null)
    {
        options ??= JsonSchemaGrammarOptions.Default;
        options.Validate();
        return new GbnfGrammar(SchemaConverter.AnyValue(options));
    }

    internal static JsonDocument Parse(string schemaJson, JsonSchemaGrammarOptions options)
    {
        try
        {
            return JsonDocument.Parse(schemaJson, new JsonDocumentOptions { MaxDepth = Math.Max(options.MaxDepth * 2, 64) });
        }
        catch (JsonException e)
        {
            throw new SchemaNotSupportedException("", "#", $"the schema is not valid JSON ({e.Message})");
        }
    }
}
