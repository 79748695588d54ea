using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlmCluster.StructuredOutput.Schema;

/// <summary>
/// Merges the branches of an <c>allOf</c> (and a <c>$ref</c> with keywords beside it) into one schema: properties
/// merged name by name, <c>required</c> united, <c>type</c> intersected, bounds tightened, enums intersected.
/// A branch's <c>additionalProperties</c> applies to the properties the other branches declare, as the
/// specification says: false removes an optional one (and refuses a required one), a schema joins each one's schema.
/// Keywords that differ between branches and have no merge rule are refused.
/// </summary>
internal sealed class SchemaMerger(Func<string, string, JsonElement> resolve, int maxDepth)
{
    private static readonly HashSet<string> Lower = new(StringComparer.Ordinal) { "minLength", "minItems", "minimum" };
    private static readonly HashSet<string> Upper = new(StringComparer.Ordinal) { "maxLength", "maxItems", "maximum" };

    public JsonElement Merge(List<(JsonElement Schema, string Path)> branches, string ownerPath)
    {
        List<JsonElement> flat = Flatten(branches, ownerPath);
        var result = new JsonObject();
        var properties = new Dictionary<string, List<JsonElement>>(StringComparer.Ordinal);
        var propertyOrder = new List<string>();
        var required = new List<string>();
        bool alternativesSeen = false;

        foreach (JsonElement branch in flat)
        {
            foreach (JsonProperty keyword in branch.EnumerateObject())
            {
                string name = keyword.Name;
                JsonElement value = keyword.Value;
                if (!SchemaKeywords.Validates(name) || SchemaConverter.IsHarmless(keyword) || name == "additionalProperties")
                {
                    continue;
                }
                switch (name)
                {
                    case "properties":
                        if (value.ValueKind != JsonValueKind.Object)
                        {
                            throw new SchemaNotSupportedException("properties", ownerPath, "properties must be an object of schemas");
                        }
                        foreach (JsonProperty property in value.EnumerateObject())
                        {
                            if (!properties.TryGetValue(property.Name, out List<JsonElement>? list))
                            {
                                properties[property.Name] = list = [];
                                propertyOrder.Add(property.Name);
                            }
                            list.Add(property.Value);
                        }
                        break;
                    case "required":
                        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
                        {
                            throw new SchemaNotSupportedException("required", ownerPath, "required must be an array of property names");
                        }
                        foreach (JsonElement item in value.EnumerateArray())
                        {
                            if (!required.Contains(item.GetString()!))
                            {
                                required.Add(item.GetString()!);
                            }
                        }
                        break;
                    case "type":
                        result["type"] = IntersectTypes(result["type"], value, ownerPath);
                        break;
                    case "enum":
                        result["enum"] = result["enum"] is JsonArray existing ? IntersectEnums(existing, value, ownerPath) : Node(value);
                        break;
                    case "anyOf" or "oneOf":
                        if (alternativesSeen)
                        {
                            throw new SchemaNotSupportedException("allOf", ownerPath, "more than one branch with anyOf or oneOf cannot be combined");
                        }
                        alternativesSeen = true;
                        result[name] = Node(value);
                        break;
                    case "items" when result["items"] is JsonNode previous && value.ValueKind is JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False
                                      && previous.GetValueKind() is JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False:
                        if (!JsonNode.DeepEquals(previous, Node(value)))
                        {
                            result["items"] = new JsonObject { ["allOf"] = new JsonArray(previous.DeepClone(), Node(value)) };
                        }
                        break;
                    default:
                        MergeScalar(result, name, value, ownerPath);
                        break;
                }
            }
        }

        // additionalProperties of each branch against the properties the others declare.
        var additional = new List<JsonElement>();
        foreach (JsonElement branch in flat)
        {
            if (!branch.TryGetProperty("additionalProperties", out JsonElement branchAdditional))
            {
                continue;
            }
            additional.Add(branchAdditional);
            var declared = branch.TryGetProperty("properties", out JsonElement own) && own.ValueKind == JsonValueKind.Object
                ? own.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal)
                : [];
            foreach (string name in propertyOrder.ToList())
            {
                if (declared.Contains(name))
                {
                    continue;
                }
                if (branchAdditional.ValueKind == JsonValueKind.False)
                {
                    if (required.Contains(name))
                    {
                        throw new SchemaNotSupportedException("allOf", ownerPath,
                            $"property '{SchemaConverter.Short(name)}' is required by one branch and forbidden by another's additionalProperties false");
                    }
                    propertyOrder.Remove(name);
                    properties.Remove(name);
                }
                else if (branchAdditional.ValueKind == JsonValueKind.Object)
                {
                    properties[name].Add(branchAdditional);
                }
            }
        }
        if (additional.Any(a => a.ValueKind == JsonValueKind.False))
        {
            result["additionalProperties"] = false;
        }
        else
        {
            List<JsonElement> schemas = additional.Where(a => a.ValueKind != JsonValueKind.True).ToList();
            if (schemas.Count == 1)
            {
                result["additionalProperties"] = Node(schemas[0]);
            }
            else if (schemas.Count > 1)
            {
                result["additionalProperties"] = new JsonObject { ["allOf"] = new JsonArray([.. schemas.Select(Node)]) };
            }
            else if (additional.Count > 0)
            {
                result["additionalProperties"] = true;
            }
        }

        if (propertyOrder.Count > 0)
        {
            var merged = new JsonObject();
            foreach (string name in propertyOrder)
            {
                List<JsonElement> list = properties[name];
                merged[name] = list.Count == 1 ? Node(list[0]) : new JsonObject { ["allOf"] = new JsonArray([.. list.Select(Node)]) };
            }
            result["properties"] = merged;
        }
        if (required.Count > 0)
        {
            result["required"] = new JsonArray([.. required.Select(r => (JsonNode)r)]);
        }
        return JsonSerializer.SerializeToElement(result);
    }

    /// <summary>The branches with every top-level $ref replaced by its target and every allOf by its members.</summary>
    private List<JsonElement> Flatten(List<(JsonElement Schema, string Path)> branches, string ownerPath)
    {
        var flat = new List<JsonElement>();
        var pending = new Queue<(JsonElement Schema, string Path)>(branches);
        int steps = 0;
        while (pending.Count > 0)
        {
            if (++steps > maxDepth * 4)
            {
                throw new SchemaNotSupportedException("allOf", ownerPath, $"allOf and $ref expand to more than {maxDepth * 4} schemas (a reference loop?)");
            }
            (JsonElement schema, string path) = pending.Dequeue();
            switch (schema.ValueKind)
            {
                case JsonValueKind.True:
                    continue;
                case JsonValueKind.False:
                    throw new SchemaNotSupportedException("allOf", path, "a branch is false, so no value can match");
                case JsonValueKind.Object:
                    break;
                default:
                    throw new SchemaNotSupportedException("allOf", path, "a schema must be a JSON object or a boolean");
            }
            SchemaConverter.CheckKeywords(schema, path);
            if (schema.TryGetProperty("$ref", out JsonElement reference))
            {
                if (reference.ValueKind != JsonValueKind.String)
                {
                    throw new SchemaNotSupportedException("$ref", path, "$ref must be a string");
                }
                string pointer = reference.GetString()!;
                pending.Enqueue((resolve(pointer, path), pointer));
                pending.Enqueue((SchemaConverter.Without(schema, "$ref"), path));
            }
            else if (schema.TryGetProperty("allOf", out JsonElement allOf))
            {
                if (allOf.ValueKind != JsonValueKind.Array || allOf.GetArrayLength() == 0)
                {
                    throw new SchemaNotSupportedException("allOf", path, "allOf must be a non-empty array of schemas");
                }
                int i = 0;
                foreach (JsonElement item in allOf.EnumerateArray())
                {
                    pending.Enqueue((item, $"{path}/allOf/{i++}"));
                }
                pending.Enqueue((SchemaConverter.Without(schema, "allOf"), path));
            }
            else
            {
                flat.Add(schema);
            }
        }
        return flat;
    }

    private static void MergeScalar(JsonObject result, string name, JsonElement value, string ownerPath)
    {
        JsonNode? incoming = Node(value);
        if (result[name] is not JsonNode existing)
        {
            result[name] = incoming;
            return;
        }
        if (JsonNode.DeepEquals(existing, incoming))
        {
            return;
        }
        bool numbers = existing.GetValueKind() == JsonValueKind.Number && value.ValueKind == JsonValueKind.Number;
        if (numbers && (Lower.Contains(name) || name == "exclusiveMinimum"))
        {
            result[name] = existing.GetValue<decimal>() >= value.GetDecimal() ? existing : incoming;
            return;
        }
        if (numbers && (Upper.Contains(name) || name == "exclusiveMaximum"))
        {
            result[name] = existing.GetValue<decimal>() <= value.GetDecimal() ? existing : incoming;
            return;
        }
        throw new SchemaNotSupportedException("allOf", ownerPath, $"branches with different '{name}' cannot be combined");
    }

    private static JsonNode IntersectTypes(JsonNode? existing, JsonElement incoming, string ownerPath)
    {
        List<string> Read(JsonNode node) => node is JsonArray array
            ? [.. array.Select(item => item?.GetValueKind() == JsonValueKind.String ? item.GetValue<string>() : "?")]
            : [node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : "?"];
        JsonNode incomingNode = Node(incoming) ?? throw new SchemaNotSupportedException("type", ownerPath, "type must be a string or an array of strings");
        List<string> right = Read(incomingNode);
        if (existing is null)
        {
            return incomingNode;
        }
        List<string> left = Read(existing);
        var both = new List<string>();
        foreach (string type in left)
        {
            if (right.Contains(type))
            {
                both.Add(type);
            }
            else if ((type == "integer" && right.Contains("number")) || (type == "number" && right.Contains("integer")))
            {
                both.Add("integer");
            }
        }
        both = [.. both.Distinct()];
        if (both.Count == 0)
        {
            throw new SchemaNotSupportedException("type", ownerPath, "the branches of allOf have no type in common");
        }
        return new JsonArray([.. both.Select(t => (JsonNode)t)]);
    }

    private static JsonArray IntersectEnums(JsonArray existing, JsonElement incoming, string ownerPath)
    {
        if (incoming.ValueKind != JsonValueKind.Array)
        {
            throw new SchemaNotSupportedException("enum", ownerPath, "enum must be a non-empty array");
        }
        var texts = incoming.EnumerateArray().Select(JsonText.Canonical).ToHashSet(StringComparer.Ordinal);
        var kept = new JsonArray();
        foreach (JsonNode? item in existing)
        {
            if (texts.Contains(JsonText.Canonical(JsonSerializer.SerializeToElement(item))))
            {
                kept.Add(item?.DeepClone());
            }
        }
        if (kept.Count == 0)
        {
            throw new SchemaNotSupportedException("enum", ownerPath, "the branches of allOf have no enum value in common");
        }
        return kept;
    }

    private static JsonNode? Node(JsonElement value) => JsonNode.Parse(value.GetRawText());
}
