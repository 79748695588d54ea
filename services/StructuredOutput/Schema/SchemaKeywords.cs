namespace SlmCluster.StructuredOutput.Schema;

/// <summary>Which JSON Schema keywords the converter enforces, which it ignores, and which it refuses.</summary>
internal static class SchemaKeywords
{
    /// <summary>Annotations and containers: they do not change which values are valid.</summary>
    public static readonly HashSet<string> Ignored = new(StringComparer.Ordinal)
    {
        "title", "description", "$schema", "$id", "id", "examples", "default", "$comment", "deprecated", "readOnly",
        "writeOnly", "contentEncoding", "contentMediaType", "contentSchema", "$defs", "definitions", "$anchor",
        "$dynamicAnchor", "$recursiveAnchor", "$vocabulary",
    };

    public static readonly HashSet<string> Supported = new(StringComparer.Ordinal)
    {
        "type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "properties", "required", "additionalProperties",
        "items", "prefixItems", "additionalItems", "minItems", "maxItems", "minLength", "maxLength", "pattern", "format",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    };

    /// <summary>Keywords of the JSON Schema drafts that change validation and that no grammar here enforces, with why.</summary>
    public static readonly Dictionary<string, string> Refused = new(StringComparer.Ordinal)
    {
        ["not"] = "a grammar cannot exclude the values of a subschema",
        ["if"] = "conditional schemas are not supported",
        ["then"] = "conditional schemas are not supported",
        ["else"] = "conditional schemas are not supported",
        ["patternProperties"] = "property names by pattern are not supported",
        ["propertyNames"] = "constraints on property names are not supported",
        ["uniqueItems"] = "a grammar cannot keep array items distinct",
        ["dependentRequired"] = "dependencies between properties are not supported",
        ["dependentSchemas"] = "dependencies between properties are not supported",
        ["dependencies"] = "dependencies between properties are not supported",
        ["multipleOf"] = "multiples are not supported",
        ["minProperties"] = "property counts are not supported",
        ["maxProperties"] = "property counts are not supported",
        ["contains"] = "'contains' is not supported",
        ["minContains"] = "'contains' is not supported",
        ["maxContains"] = "'contains' is not supported",
        ["unevaluatedProperties"] = "unevaluated properties are not supported",
        ["unevaluatedItems"] = "unevaluated items are not supported",
        ["$dynamicRef"] = "dynamic references are not supported",
        ["$recursiveRef"] = "recursive references of draft 2019-09 are not supported",
    };

    /// <summary>Keywords that only apply to one JSON type: a schema without <c>type</c> that uses them means that type.</summary>
    public static readonly Dictionary<string, string> ImpliedType = new(StringComparer.Ordinal)
    {
        ["properties"] = "object",
        ["required"] = "object",
        ["additionalProperties"] = "object",
        ["items"] = "array",
        ["prefixItems"] = "array",
        ["additionalItems"] = "array",
        ["minItems"] = "array",
        ["maxItems"] = "array",
        ["minLength"] = "string",
        ["maxLength"] = "string",
        ["pattern"] = "string",
        ["format"] = "string",
        ["minimum"] = "number",
        ["maximum"] = "number",
        ["exclusiveMinimum"] = "number",
        ["exclusiveMaximum"] = "number",
    };

    public static readonly string[] Types = ["null", "boolean", "object", "array", "number", "integer", "string"];

    /// <summary>Whether <paramref name="keyword"/> changes validation (supported or refused), as opposed to an annotation or an unknown keyword.</summary>
    public static bool Validates(string keyword) => Supported.Contains(keyword) || Refused.ContainsKey(keyword);
}
