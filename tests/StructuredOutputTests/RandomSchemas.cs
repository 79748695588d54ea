using System.Text.Json.Nodes;

namespace SlmCluster.StructuredOutputTests;

/// <summary>
/// Seeded random schemas for the fuzz test: mostly plausible trees of every keyword the converter knows (and some it
/// refuses), with wrong value types, out-of-range counts, dangling and looping references, and text cut or corrupted.
/// </summary>
internal sealed class RandomSchemas(int seed)
{
    private static readonly string[] Types = ["object", "array", "string", "integer", "number", "boolean", "null", "unicorn"];
    private static readonly string[] Formats = ["date", "time", "date-time", "uuid", "email", "uri"];
    private static readonly string[] Patterns = ["^[a-z]{1,5}$", "^\\d+(\\.\\d{1,2})?$", "^(ab|cd)*x?$", "^[^\"\\\\]{0,4}$", "^.{2}$", "^(?=x)$", "^a|b$", "[0-9]", "^(a$", "^\\w\\s\\W\\S\\D$", "^[\\u0041-\\u005A]{2}[\\x30-\\x39]$", "^a{3,1}$"];
    private static readonly string[] Refused = ["not", "if", "then", "else", "patternProperties", "uniqueItems", "dependentRequired", "multipleOf", "contains", "unevaluatedProperties"];

    private readonly Random _random = new(seed);

    public string Next()
    {
        var root = Schema(0);
        if (root is JsonObject rootObject && _random.Next(3) == 0)
        {
            var defs = new JsonObject();
            for (int i = 0; i < 3; i++)
            {
                defs[$"d{i}"] = Schema(1);
            }
            bool draft7 = _random.Next(2) == 0;
            rootObject[draft7 ? "definitions" : "$defs"] = defs;
            if (draft7)
            {
                // JsonSchema.Net's 2020-12 dialect rejects 'definitions'; draft 7 is where it belongs ($schema first: the dialect is read before the keywords).
                rootObject.Insert(0, "$schema", "http://json-schema.org/draft-07/schema#");
            }
        }
        string text = root?.ToJsonString() ?? "null";
        return _random.Next(12) switch
        {
            0 => text[..Math.Max(0, text.Length - 1 - _random.Next(Math.Max(1, text.Length / 2)))],
            1 => Corrupt(text),
            _ => text,
        };
    }

    private string Corrupt(string text)
    {
        if (text.Length == 0)
        {
            return "}";
        }
        char[] chars = text.ToCharArray();
        chars[_random.Next(chars.Length)] = "{}[]\":,x0-"[_random.Next(10)];
        return new string(chars);
    }

    private JsonNode? Schema(int depth)
    {
        if (depth > 4 || _random.Next(10) == 0)
        {
            return _random.Next(5) switch
            {
                0 => JsonValue.Create(true),
                1 => JsonValue.Create(false),
                2 => new JsonObject(),
                3 => JsonValue.Create(_random.Next(100)),
                _ => new JsonObject { ["type"] = "string", ["maxLength"] = _random.Next(10) },
            };
        }
        var schema = new JsonObject();
        switch (_random.Next(14))
        {
            case 0:
            case 1:
            case 2:
                {
                    var properties = new JsonObject();
                    var required = new JsonArray();
                    int count = _random.Next(5);
                    for (int i = 0; i < count; i++)
                    {
                        string name = _random.Next(8) == 0 ? "k\"\\/~" + i : "p" + i;
                        properties[name] = Schema(depth + 1);
                        if (_random.Next(2) == 0)
                        {
                            required.Add(name);
                        }
                    }
                    if (_random.Next(6) == 0)
                    {
                        required.Add("missing");
                    }
                    schema["type"] = "object";
                    schema["properties"] = properties;
                    schema["required"] = required;
                    if (_random.Next(3) == 0)
                    {
                        schema["additionalProperties"] = _random.Next(3) == 0 ? Schema(depth + 1) : JsonValue.Create(_random.Next(2) == 0);
                    }
                    break;
                }
            case 3:
            case 4:
                schema["type"] = "array";
                if (_random.Next(3) == 0)
                {
                    schema["prefixItems"] = new JsonArray(Schema(depth + 1), Schema(depth + 1));
                }
                if (_random.Next(4) != 0)
                {
                    schema["items"] = _random.Next(6) == 0 ? JsonValue.Create(false) : Schema(depth + 1);
                }
                AddCount(schema, "minItems");
                AddCount(schema, "maxItems");
                break;
            case 5:
                schema["type"] = "string";
                switch (_random.Next(3))
                {
                    case 0:
                        schema["format"] = Formats[_random.Next(Formats.Length)];
                        break;
                    case 1:
                        schema["pattern"] = Patterns[_random.Next(Patterns.Length)];
                        break;
                    default:
                        AddCount(schema, "minLength");
                        AddCount(schema, "maxLength");
                        break;
                }
                break;
            case 6:
                schema["type"] = _random.Next(2) == 0 ? "integer" : "number";
                foreach (string bound in new[] { "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum" })
                {
                    if (_random.Next(3) == 0)
                    {
                        schema[bound] = _random.Next(5) == 0 ? JsonValue.Create(_random.NextDouble() * 20 - 10) : JsonValue.Create(_random.Next(-1000, 1000));
                    }
                }
                break;
            case 7:
                schema["enum"] = new JsonArray(JsonValue.Create("a"), JsonValue.Create(_random.Next(5)), null, new JsonObject { ["x"] = 1 });
                if (_random.Next(2) == 0)
                {
                    schema["type"] = Types[_random.Next(Types.Length)];
                }
                break;
            case 8:
                schema["const"] = _random.Next(2) == 0 ? JsonValue.Create("c\"q") : new JsonArray(1, 2);
                break;
            case 9:
            case 10:
                schema[_random.Next(3) switch { 0 => "anyOf", 1 => "oneOf", _ => "allOf" }] = new JsonArray(Schema(depth + 1), Schema(depth + 1));
                break;
            case 11:
                schema["$ref"] = _random.Next(6) switch
                {
                    0 => "#",
                    1 => "#/$defs/nothing",
                    2 => "http://elsewhere/schema.json",
                    _ => $"#/{(_random.Next(2) == 0 ? "$defs" : "definitions")}/d{_random.Next(3)}",
                };
                break;
            case 12:
                schema["type"] = new JsonArray(JsonValue.Create(Types[_random.Next(Types.Length)]), JsonValue.Create(Types[_random.Next(Types.Length)]));
                break;
            default:
                schema[Refused[_random.Next(Refused.Length)]] = Schema(depth + 1);
                break;
        }
        if (_random.Next(15) == 0)
        {
            schema["minLength"] = "three";
        }
        return schema;
    }

    private void AddCount(JsonObject schema, string keyword)
    {
        if (_random.Next(3) == 0)
        {
            schema[keyword] = _random.Next(8) switch
            {
                0 => JsonValue.Create(-1),
                1 => JsonValue.Create(2500),
                2 => JsonValue.Create(1.5),
                _ => JsonValue.Create(_random.Next(5)),
            };
        }
    }
}
