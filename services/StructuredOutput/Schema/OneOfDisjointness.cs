using System.Text.Json;

namespace SlmCluster.StructuredOutput.Schema;

/// <summary>
/// <c>oneOf</c> means exactly one branch matches, which a grammar cannot count. It is accepted when the branches
/// provably never match the same value, so that any value one branch's grammar writes fails the others: they allow
/// different JSON types, or different constants, or they are objects told apart by a required property whose
/// const or enum values differ (a discriminator), or one requires a property the other forbids with
/// <c>additionalProperties: false</c>. Anything else is refused (use anyOf).
/// </summary>
internal sealed class OneOfDisjointness(Func<string, string, JsonElement> resolve)
{
    private static readonly string[] AllKinds = ["null", "boolean", "object", "array", "number", "string"];

    public void Check(List<(JsonElement Schema, string Path)> branches, string path)
    {
        for (int i = 0; i < branches.Count; i++)
        {
            for (int j = i + 1; j < branches.Count; j++)
            {
                if (!Disjoint(Deref(branches[i].Schema, path), Deref(branches[j].Schema, path), path))
                {
                    throw new SchemaNotSupportedException("oneOf", path,
                        $"branches {i} and {j} may both match one value, which oneOf forbids; use anyOf, or tell them apart by type or by a required property with different const values");
                }
            }
        }
    }

    /// <summary>Whether <paramref name="value"/> is an instance of the JSON Schema type <paramref name="type"/>.</summary>
    public static bool HasType(JsonElement value, string type) => type switch
    {
        "null" => value.ValueKind == JsonValueKind.Null,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out decimal d) && decimal.Floor(d) == d,
        "string" => value.ValueKind == JsonValueKind.String,
        _ => false,
    };

    private bool Disjoint(JsonElement a, JsonElement b, string path)
    {
        if (!Kinds(a, path).Overlaps(Kinds(b, path)))
        {
            return true;
        }
        if (a.ValueKind != JsonValueKind.Object || b.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        if (Values(a, path) is HashSet<string> va && Values(b, path) is HashSet<string> vb && !va.Overlaps(vb))
        {
            return true;
        }
        HashSet<string> requiredA = Required(a);
        HashSet<string> requiredB = Required(b);
        foreach (string name in requiredA.Intersect(requiredB))
        {
            if (Property(a, name) is JsonElement pa && Property(b, name) is JsonElement pb
                && Values(Deref(pa, path), path) is HashSet<string> ca && Values(Deref(pb, path), path) is HashSet<string> cb
                && !ca.Overlaps(cb))
            {
                return true;
            }
        }
        return Forbids(a, requiredB) || Forbids(b, requiredA);
    }

    /// <summary>Whether <paramref name="schema"/> forbids (additionalProperties false, not declared) one of <paramref name="names"/>.</summary>
    private static bool Forbids(JsonElement schema, HashSet<string> names) =>
        schema.TryGetProperty("additionalProperties", out JsonElement additional) && additional.ValueKind == JsonValueKind.False
        && names.Any(name => Property(schema, name) is null);

    private HashSet<string> Kinds(JsonElement schema, string path, int depth = 0)
    {
        if (depth > 16)
        {
            return [.. AllKinds];
        }
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return schema.ValueKind == JsonValueKind.False ? [] : [.. AllKinds];
        }
        if (SchemaConverter.ConstantValues(schema, path) is List<JsonElement> values)
        {
            return [.. values.Select(KindOf)];
        }
        foreach (string keyword in new[] { "anyOf", "oneOf" })
        {
            if (schema.TryGetProperty(keyword, out JsonElement list) && list.ValueKind == JsonValueKind.Array)
            {
                var union = new HashSet<string>(StringComparer.Ordinal);
                foreach (JsonElement option in list.EnumerateArray())
                {
                    union.UnionWith(Kinds(Deref(option, path), path, depth + 1));
                }
                return union;
            }
        }
        if (schema.TryGetProperty("allOf", out _))
        {
            return [.. AllKinds];
        }
        List<string>? types = SchemaConverter.ReadTypes(schema, path);
        return types is null ? [.. AllKinds] : [.. types.Select(t => t == "integer" ? "number" : t)];
    }

    private static HashSet<string>? Values(JsonElement schema, string path) =>
        schema.ValueKind == JsonValueKind.Object && SchemaConverter.ConstantValues(schema, path) is List<JsonElement> values
            ? [.. values.Select(JsonText.Canonical)]
            : null;

    private static string KindOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.Number => "number",
        _ => "string",
    };

    private static HashSet<string> Required(JsonElement schema) =>
        schema.TryGetProperty("required", out JsonElement required) && required.ValueKind == JsonValueKind.Array
            ? [.. required.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!)]
            : [];

    private static JsonElement? Property(JsonElement schema, string name) =>
        schema.TryGetProperty("properties", out JsonElement properties) && properties.ValueKind == JsonValueKind.Object
        && properties.TryGetProperty(name, out JsonElement property)
            ? property
            : null;

    /// <summary>The schema a chain of plain <c>$ref</c>s leads to (a few hops at most).</summary>
    private JsonElement Deref(JsonElement schema, string path)
    {
        for (int hops = 0; hops < 16 && schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out JsonElement reference)
                           && reference.ValueKind == JsonValueKind.String && !SchemaConverter.HasValidationBesides(schema, "$ref"); hops++)
        {
            schema = resolve(reference.GetString()!, path);
        }
        return schema;
    }
}
