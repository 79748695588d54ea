using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SlmCluster.StructuredOutput.Grammar;
using SlmCluster.StructuredOutput.Patterns;
using static SlmCluster.StructuredOutput.Grammar.GbnfNode;

namespace SlmCluster.StructuredOutput.Schema;

/// <summary>One conversion of a JSON Schema document into GBNF (see <see cref="JsonSchemaGrammar"/>).</summary>
internal sealed class SchemaConverter
{
    private readonly JsonSchemaGrammarOptions _options;
    private readonly GbnfBuilder _builder;
    private readonly JsonGrammarParts _parts;
    private readonly JsonElement _document;
    private readonly Dictionary<string, string> _refRules = new(StringComparer.Ordinal);

    private SchemaConverter(JsonElement document, JsonSchemaGrammarOptions options)
    {
        _options = options;
        _document = document;
        _builder = new GbnfBuilder(options);
        _parts = new JsonGrammarParts(_builder, options);
    }

    public static string Convert(JsonElement schema, JsonSchemaGrammarOptions options)
    {
        string raw = schema.GetRawText();
        if (raw.Length > options.MaxSchemaLength)
        {
            throw new SchemaNotSupportedException("", "#", $"the schema is {raw.Length} characters long, over the limit of {options.MaxSchemaLength}");
        }
        var converter = new SchemaConverter(schema, options);
        GbnfNode value = converter.Visit(schema, "#", 0);
        return converter._builder.Build(Seq(value, converter._parts.Ws), "#");
    }

    /// <summary>Any JSON object (<c>response_format: json_object</c>), nested at most <see cref="JsonSchemaGrammarOptions.AnyValueMaxDepth"/> deep.</summary>
    public static string AnyObject(JsonSchemaGrammarOptions options)
    {
        var converter = new SchemaConverter(default, options);
        return converter._builder.Build(Seq(converter._parts.AnyObject(options.AnyValueMaxDepth - 1), converter._parts.Ws), "#");
    }

    public static string AnyValue(JsonSchemaGrammarOptions options)
    {
        var converter = new SchemaConverter(default, options);
        return converter._builder.Build(Seq(converter._parts.AnyValue(options.AnyValueMaxDepth), converter._parts.Ws), "#");
    }

    private GbnfNode Visit(JsonElement schema, string path, int depth)
    {
        if (depth > _options.MaxDepth)
        {
            throw new SchemaNotSupportedException("", path, $"subschemas nest deeper than {_options.MaxDepth}");
        }
        switch (schema.ValueKind)
        {
            case JsonValueKind.True:
                return _parts.AnyValue(_options.AnyValueMaxDepth);
            case JsonValueKind.False:
                throw new SchemaNotSupportedException("false", path, "the schema false admits no value");
            case JsonValueKind.Object:
                break;
            default:
                throw new SchemaNotSupportedException("", path, $"a schema must be a JSON object or a boolean, not {Describe(schema)}");
        }
        CheckKeywords(schema, path);

        if (schema.TryGetProperty("$ref", out JsonElement reference))
        {
            if (!HasValidationBesides(schema, "$ref"))
            {
                return RefRule(reference, path, depth);
            }
            return Visit(Merge([(schema, path)], path), path, depth + 1);
        }
        if (schema.TryGetProperty("allOf", out _))
        {
            return Visit(Merge([(schema, path)], path), path, depth + 1);
        }
        bool hasAnyOf = schema.TryGetProperty("anyOf", out JsonElement anyOf);
        bool hasOneOf = schema.TryGetProperty("oneOf", out JsonElement oneOf);
        if (hasAnyOf && hasOneOf)
        {
            throw new SchemaNotSupportedException("oneOf", path, "anyOf and oneOf in one schema are not supported");
        }
        if (hasAnyOf || hasOneOf)
        {
            return Alternatives(schema, hasAnyOf ? "anyOf" : "oneOf", hasAnyOf ? anyOf : oneOf, path, depth);
        }
        if (schema.TryGetProperty("const", out _) || schema.TryGetProperty("enum", out _))
        {
            return Constants(schema, path);
        }

        List<string>? types = ReadTypes(schema, path);
        if (types is null)
        {
            return _parts.AnyValue(_options.AnyValueMaxDepth);
        }
        var options = new List<GbnfNode>();
        foreach (string type in types)
        {
            options.Add(type switch
            {
                "null" => JsonGrammarParts.Null,
                "boolean" => _parts.Boolean,
                "integer" => IntegerNode(schema, path),
                "number" => NumberNode(schema, path),
                "string" => StringNode(schema, path),
                "array" => ArrayNode(schema, path, depth),
                _ => ObjectNode(schema, path, depth),
            });
        }
        return Alt(options);
    }

    // References

    private GbnfNode RefRule(JsonElement reference, string path, int depth)
    {
        string pointer = RefPointer(reference, path);
        if (_refRules.TryGetValue(pointer, out string? existing))
        {
            return new GbnfRuleRef(existing);
        }
        JsonElement target = Resolve(pointer, path);
        string name = _builder.Reserve("ref-" + Hint(pointer));
        _refRules[pointer] = name;
        _builder.Set(name, Visit(target, pointer, depth + 1));
        return new GbnfRuleRef(name);
    }

    private static string RefPointer(JsonElement reference, string path)
    {
        if (reference.ValueKind != JsonValueKind.String)
        {
            throw new SchemaNotSupportedException("$ref", path, "$ref must be a string");
        }
        string value = reference.GetString()!;
        if (!value.StartsWith('#'))
        {
            throw new SchemaNotSupportedException("$ref", path, $"only local references (#/...) are supported, not '{Short(value)}'");
        }
        if (value.Length > 1 && value[1] != '/')
        {
            throw new SchemaNotSupportedException("$ref", path, $"references to anchors ('{Short(value)}') are not supported; use a JSON pointer such as #/$defs/name");
        }
        return value;
    }

    private JsonElement Resolve(string pointer, string path)
    {
        RefPointer(JsonSerializer.SerializeToElement(pointer), path);
        JsonElement current = _document;
        if (pointer.Length <= 1)
        {
            return current;
        }
        foreach (string rawSegment in pointer[2..].Split('/'))
        {
            string segment;
            try
            {
                segment = Uri.UnescapeDataString(rawSegment).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            }
            catch (UriFormatException)
            {
                throw new SchemaNotSupportedException("$ref", path, $"'{Short(pointer)}' is not a valid JSON pointer");
            }
            if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(segment, out JsonElement child))
            {
                current = child;
            }
            else if (current.ValueKind == JsonValueKind.Array && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out int index)
                     && index < current.GetArrayLength())
            {
                current = current[index];
            }
            else
            {
                throw new SchemaNotSupportedException("$ref", path, $"'{Short(pointer)}' does not point into this schema");
            }
        }
        return current;
    }

    // anyOf / oneOf / enum / const

    private GbnfNode Alternatives(JsonElement schema, string keyword, JsonElement list, string path, int depth)
    {
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            throw new SchemaNotSupportedException(keyword, path, $"{keyword} must be a non-empty array of schemas");
        }
        bool siblings = HasValidationBesides(schema, keyword);
        JsonElement rest = siblings ? Without(schema, keyword) : default;
        var branches = new List<(JsonElement Schema, string Path)>();
        int i = 0;
        foreach (JsonElement option in list.EnumerateArray())
        {
            string optionPath = $"{path}/{keyword}/{i++}";
            branches.Add((siblings ? Merge([(rest, path), (option, optionPath)], optionPath) : option, optionPath));
        }
        if (keyword == "oneOf")
        {
            new OneOfDisjointness(Resolve).Check(branches, path);
        }
        // A false branch matches nothing: the others decide (refused when all are false).
        var possible = branches.Where(branch => branch.Schema.ValueKind != JsonValueKind.False).ToList();
        if (possible.Count == 0)
        {
            throw new SchemaNotSupportedException(keyword, path, $"every branch of {keyword} is false, so no value can match");
        }
        return Alt(possible.Select(branch => Visit(branch.Schema, branch.Path, depth + 1)).ToList());
    }

    private GbnfNode Constants(JsonElement schema, string path)
    {
        string keyword = schema.TryGetProperty("const", out _) ? "const" : "enum";
        foreach (JsonProperty property in schema.EnumerateObject())
        {
            if (property.Name is not ("const" or "enum" or "type") && SchemaKeywords.Validates(property.Name))
            {
                throw new SchemaNotSupportedException(property.Name, path, $"'{property.Name}' together with '{keyword}' is not supported");
            }
        }
        List<JsonElement> values = ConstantValues(schema, path)!;
        List<string>? types = schema.TryGetProperty("type", out _) ? ReadTypes(schema, path) : null;
        var literals = new List<GbnfNode>();
        foreach (JsonElement value in values)
        {
            if (types is null || types.Any(type => OneOfDisjointness.HasType(value, type)))
            {
                literals.Add(Lit(JsonText.Write(value)));
            }
        }
        if (literals.Count == 0)
        {
            throw new SchemaNotSupportedException(keyword, path, $"no value of '{keyword}' is allowed by the rest of the schema");
        }
        return _builder.Define(Hint(path) + "-" + keyword, Alt(literals));
    }

    /// <summary>The values <c>const</c> and <c>enum</c> allow (both: those in both), or null when neither is present.</summary>
    internal static List<JsonElement>? ConstantValues(JsonElement schema, string path)
    {
        List<JsonElement>? values = null;
        if (schema.TryGetProperty("enum", out JsonElement enumValues))
        {
            if (enumValues.ValueKind != JsonValueKind.Array || enumValues.GetArrayLength() == 0)
            {
                throw new SchemaNotSupportedException("enum", path, "enum must be a non-empty array");
            }
            values = [.. enumValues.EnumerateArray()];
        }
        if (schema.TryGetProperty("const", out JsonElement constant))
        {
            string text = JsonText.Canonical(constant);
            values = values is null || values.Any(v => JsonText.Canonical(v) == text) ? [constant] : [];
        }
        return values;
    }

    // Scalars

    private GbnfNode IntegerNode(JsonElement schema, string path)
    {
        (decimal? low, bool lowExclusive, string lowKeyword) = Bound(schema, path, lower: true);
        (decimal? high, bool highExclusive, string highKeyword) = Bound(schema, path, lower: false);
        if (low is null && high is null)
        {
            return _parts.Integer;
        }
        long? lo = null, hi = null;
        if (low is decimal l)
        {
            decimal first = lowExclusive ? decimal.Floor(l) + 1 : decimal.Ceiling(l);
            if (first > NumericRanges.MaxMagnitude)
            {
                throw new SchemaNotSupportedException(lowKeyword, path, $"integers are limited to {NumericRanges.MaxMagnitude} in magnitude");
            }
            lo = first < -NumericRanges.MaxMagnitude ? null : (long)first;
        }
        if (high is decimal h)
        {
            decimal last = highExclusive ? decimal.Ceiling(h) - 1 : decimal.Floor(h);
            if (last < -NumericRanges.MaxMagnitude)
            {
                throw new SchemaNotSupportedException(highKeyword, path, $"integers are limited to {NumericRanges.MaxMagnitude} in magnitude");
            }
            hi = last > NumericRanges.MaxMagnitude ? null : (long)last;
        }
        GbnfNode range = NumericRanges.Integers(lo, hi)
            ?? throw new SchemaNotSupportedException(lowKeyword, path, "no integer lies within the bounds");
        return _builder.Define(Hint(path) + "-int", range);
    }

    private GbnfNode NumberNode(JsonElement schema, string path)
    {
        (decimal? low, bool lowExclusive, string lowKeyword) = Bound(schema, path, lower: true);
        (decimal? high, bool highExclusive, string highKeyword) = Bound(schema, path, lower: false);
        if (low is null && high is null)
        {
            return _parts.Number;
        }
        GbnfNode range = DecimalRanges.Between(low, lowExclusive, high, highExclusive)
            ?? throw new SchemaNotSupportedException(lowKeyword, path, "no number lies within the bounds");
        return _builder.Define(Hint(path) + "-num", range);
    }

    /// <summary>The tighter of minimum / exclusiveMinimum (or maximum / exclusiveMaximum), draft 4's boolean form included.</summary>
    private static (decimal? Value, bool Exclusive, string Keyword) Bound(JsonElement schema, string path, bool lower)
    {
        string inclusiveName = lower ? "minimum" : "maximum";
        string exclusiveName = lower ? "exclusiveMinimum" : "exclusiveMaximum";
        decimal? inclusive = schema.TryGetProperty(inclusiveName, out JsonElement inc) ? ReadDecimal(inc, inclusiveName, path) : null;
        decimal? exclusive = null;
        if (schema.TryGetProperty(exclusiveName, out JsonElement exc))
        {
            if (exc.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                if (exc.ValueKind == JsonValueKind.True)
                {
                    if (inclusive is null)
                    {
                        throw new SchemaNotSupportedException(exclusiveName, path, $"{exclusiveName}: true needs {inclusiveName}");
                    }
                    return (inclusive, true, exclusiveName);
                }
                return (inclusive, false, inclusiveName);
            }
            exclusive = ReadDecimal(exc, exclusiveName, path);
        }
        if (exclusive is decimal e && (inclusive is not decimal i || (lower ? e >= i : e <= i)))
        {
            return (e, true, exclusiveName);
        }
        return (inclusive, false, inclusiveName);
    }

    private static decimal ReadDecimal(JsonElement value, string keyword, string path)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw new SchemaNotSupportedException(keyword, path, $"{keyword} must be a number");
        }
        if (value.TryGetDecimal(out decimal result))
        {
            return result;
        }
        // Beyond decimal's range: far outside what the grammar's digits can write, so any value this large works.
        return value.GetRawText().StartsWith('-') ? -1e20m : 1e20m;
    }

    private GbnfNode StringNode(JsonElement schema, string path)
    {
        string? format = ReadString(schema, "format", path);
        string? pattern = ReadString(schema, "pattern", path);
        int? minLength = ReadCount(schema, "minLength", path);
        int? maxLength = ReadCount(schema, "maxLength", path);
        if (format is not null)
        {
            if (pattern is not null || minLength is not null || maxLength is not null)
            {
                throw new SchemaNotSupportedException("format", path, "format together with pattern, minLength or maxLength is not supported");
            }
            return StringFormats.For(format, _builder)
                ?? throw new SchemaNotSupportedException("format", path,
                    $"the format '{Short(format)}' is not supported (supported: {string.Join(", ", StringFormats.Supported)})");
        }
        if (pattern is not null)
        {
            if (minLength is not null || maxLength is not null)
            {
                throw new SchemaNotSupportedException("pattern", path, "pattern together with minLength or maxLength is not supported: write the lengths into the pattern");
            }
            return _builder.Define(Hint(path) + "-pattern", PatternConverter.Convert(pattern, path, _options.UnboundedStringMaxLength));
        }
        int min = minLength ?? 0;
        int max = maxLength ?? Math.Max(min, _options.UnboundedStringMaxLength);
        if (min > max)
        {
            throw new SchemaNotSupportedException("minLength", path, $"minLength {min} is greater than maxLength {max}");
        }
        if (max > JsonSchemaGrammarOptions.MaxRepetitionCount)
        {
            throw new SchemaNotSupportedException(maxLength is null ? "minLength" : "maxLength", path,
                $"a string of up to {max} characters is over llama.cpp's grammar repetition limit of {JsonSchemaGrammarOptions.MaxRepetitionCount}");
        }
        return _parts.StringOfLength(min, max);
    }

    // Arrays

    private GbnfNode ArrayNode(JsonElement schema, string path, int depth)
    {
        var prefix = new List<(JsonElement Schema, string Path)>();
        JsonElement? rest = null;
        string restPath = path + "/items";
        bool hasItems = schema.TryGetProperty("items", out JsonElement items);
        if (schema.TryGetProperty("prefixItems", out JsonElement prefixItems))
        {
            if (prefixItems.ValueKind != JsonValueKind.Array)
            {
                throw new SchemaNotSupportedException("prefixItems", path, "prefixItems must be an array of schemas");
            }
            int i = 0;
            prefix.AddRange(prefixItems.EnumerateArray().Select(item => (item, $"{path}/prefixItems/{i++}")));
            if (hasItems && items.ValueKind == JsonValueKind.Array)
            {
                throw new SchemaNotSupportedException("items", path, "items as an array together with prefixItems is not supported");
            }
            rest = hasItems ? items : null;
        }
        else if (hasItems && items.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            prefix.AddRange(items.EnumerateArray().Select(item => (item, $"{path}/items/{i++}")));
            rest = schema.TryGetProperty("additionalItems", out JsonElement additionalItems) ? additionalItems : null;
            restPath = path + "/additionalItems";
        }
        else
        {
            rest = hasItems ? items : JsonSerializer.SerializeToElement(true);
        }
        if (rest is { ValueKind: JsonValueKind.False })
        {
            rest = null;
        }
        int impossible = prefix.FindIndex(item => item.Schema.ValueKind == JsonValueKind.False);
        if (impossible >= 0)
        {
            // No value fits this position, so the array ends before it.
            prefix.RemoveRange(impossible, prefix.Count - impossible);
            rest = null;
        }

        int min = ReadCount(schema, "minItems", path) ?? 0;
        int? maxItems = ReadCount(schema, "maxItems", path);
        int max = rest is null ? Math.Min(maxItems ?? prefix.Count, prefix.Count) : maxItems ?? Math.Max(min, prefix.Count + _options.UnboundedArrayMaxItems);
        if (min > max)
        {
            throw new SchemaNotSupportedException("minItems", path, $"minItems {min} cannot be met: at most {max} items are allowed");
        }
        if (max > JsonSchemaGrammarOptions.MaxRepetitionCount)
        {
            throw new SchemaNotSupportedException(maxItems is null ? "minItems" : "maxItems", path,
                $"an array of up to {max} items is over llama.cpp's grammar repetition limit of {JsonSchemaGrammarOptions.MaxRepetitionCount}");
        }

        var prefixNodes = prefix.Take(max).Select(item => Visit(item.Schema, item.Path, depth + 1)).ToList();
        GbnfNode? restNode = rest is JsonElement r && max > prefix.Count ? Visit(r, restPath, depth + 1) : null;
        GbnfNode ws = _parts.Ws;

        GbnfNode Tail(int emitted)
        {
            if (emitted >= max)
            {
                return Empty;
            }
            if (emitted >= prefixNodes.Count)
            {
                return Repeat(Seq(Lit(","), ws, restNode!, ws), Math.Max(min - emitted, 0), max - emitted);
            }
            GbnfNode next = Seq(Lit(","), ws, prefixNodes[emitted], ws, Tail(emitted + 1));
            return emitted < min ? next : Optional(next);
        }

        GbnfNode body;
        if (max == 0)
        {
            body = Seq(Lit("["), ws, Lit("]"));
        }
        else
        {
            GbnfNode first = Seq(prefixNodes.Count > 0 ? prefixNodes[0] : restNode!, ws, Tail(1));
            body = Seq(Lit("["), ws, min > 0 ? first : Optional(first), Lit("]"));
        }
        return _builder.Define(Hint(path) + "-array", body);
    }

    // Objects

    private GbnfNode ObjectNode(JsonElement schema, string path, int depth)
    {
        var properties = new List<(string Name, JsonElement Schema, string Path)>();
        if (schema.TryGetProperty("properties", out JsonElement declared))
        {
            if (declared.ValueKind != JsonValueKind.Object)
            {
                throw new SchemaNotSupportedException("properties", path, "properties must be an object of schemas");
            }
            foreach (JsonProperty property in declared.EnumerateObject())
            {
                if (properties.Any(p => p.Name == property.Name))
                {
                    throw new SchemaNotSupportedException("properties", path, $"property '{Short(property.Name)}' is declared twice");
                }
                properties.Add((property.Name, property.Value, $"{path}/properties/{JsonText.PointerSegment(property.Name)}"));
            }
        }
        var required = new HashSet<string>(StringComparer.Ordinal);
        if (schema.TryGetProperty("required", out JsonElement requiredList))
        {
            if (requiredList.ValueKind != JsonValueKind.Array || requiredList.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
            {
                throw new SchemaNotSupportedException("required", path, "required must be an array of property names");
            }
            foreach (JsonElement name in requiredList.EnumerateArray())
            {
                required.Add(name.GetString()!);
            }
        }
        JsonElement? additional = schema.TryGetProperty("additionalProperties", out JsonElement additionalValue) ? additionalValue : null;
        bool additionalForbidden = additional is { ValueKind: JsonValueKind.False };
        foreach (string name in required.Where(name => properties.All(p => p.Name != name)).Order(StringComparer.Ordinal))
        {
            if (additionalForbidden)
            {
                throw new SchemaNotSupportedException("required", path, $"required property '{Short(name)}' is forbidden by additionalProperties false");
            }
            properties.Add((name, additional ?? JsonSerializer.SerializeToElement(true), $"{path}/additionalProperties"));
        }
        if (properties.Count > JsonSchemaGrammarOptions.MaxRepetitionCount)
        {
            throw new SchemaNotSupportedException("properties", path, $"more than {JsonSchemaGrammarOptions.MaxRepetitionCount} properties");
        }

        GbnfNode ws = _parts.Ws;
        // A property whose schema is false may not appear: an optional one is left out (a required one is refused below).
        properties.RemoveAll(p => p.Schema.ValueKind == JsonValueKind.False && !required.Contains(p.Name));
        var members = properties.Select(p => (Required: required.Contains(p.Name),
            Node: Seq(Lit(JsonText.Quote(p.Name)), ws, Lit(":"), ws, Visit(p.Schema, p.Path, depth + 1), ws))).ToList();
        GbnfNode? extra = null;
        if (additional is JsonElement extraSchema && !additionalForbidden)
        {
            GbnfNode key = AdditionalKey(properties.Select(p => p.Name));
            extra = Seq(key, ws, Lit(":"), ws, Visit(extraSchema, path + "/additionalProperties", depth + 1), ws);
        }

        string hint = Hint(path);
        int cap = _options.UnboundedArrayMaxItems;
        // after[i]: the members from i on when one has been written already (each then starts with a comma);
        // first[i]: the same when none has been written yet.
        var after = new GbnfNode[members.Count + 1];
        var first = new GbnfNode[members.Count + 1];
        after[members.Count] = extra is null ? Empty : Repeat(Seq(Lit(","), ws, extra), 0, cap);
        first[members.Count] = extra is null ? Empty : Optional(Seq(extra, Repeat(Seq(Lit(","), ws, extra), 0, cap - 1)));
        for (int i = members.Count - 1; i >= 0; i--)
        {
            GbnfNode tail = Named(after[i + 1], $"{hint}-after-{i + 1}");
            GbnfNode withComma = Seq(Lit(","), ws, members[i].Node, tail);
            after[i] = members[i].Required ? withComma : Seq(Optional(Seq(Lit(","), ws, members[i].Node)), tail);
            GbnfNode withThis = Seq(members[i].Node, tail);
            first[i] = members[i].Required ? withThis : Alt([withThis, Named(first[i + 1], $"{hint}-from-{i + 1}")]);
        }
        return _builder.Define(hint + "-object", Seq(Lit("{"), ws, first[0], Lit("}")));
    }

    private GbnfNode Named(GbnfNode node, string hint) =>
        node is GbnfLiteral or GbnfRuleRef ? node : _builder.Define(hint, node);

    /// <summary>
    /// A JSON string that is none of <paramref name="declared"/>, written without escapes (so that no escape can spell
    /// a declared name): additional properties never repeat a declared one.
    /// </summary>
    private GbnfNode AdditionalKey(IEnumerable<string> declared)
    {
        var root = new KeyTrie();
        foreach (string name in declared)
        {
            if (name.EnumerateRunes().All(rune => CharRanges.Contains(CharRanges.JsonStringSafe, rune.Value)))
            {
                root.Add(name);
            }
        }
        int cap = _options.UnboundedStringMaxLength;
        var safe = new GbnfCharClass(CharRanges.JsonStringSafe);

        GbnfNode NotIn(KeyTrie node, int length)
        {
            var options = new List<GbnfNode>();
            if (!node.Terminal)
            {
                options.Add(Lit("\""));
            }
            if (length < cap)
            {
                List<(int From, int To)> other = CharRanges.Subtract(CharRanges.JsonStringSafe, node.Children.Keys.Select(c => (c, c)));
                if (other.Count > 0)
                {
                    options.Add(Seq(new GbnfCharClass(other), Repeat(safe, 0, cap - length - 1), Lit("\"")));
                }
                foreach ((int c, KeyTrie child) in node.Children.OrderBy(pair => pair.Key))
                {
                    options.Add(Seq(Lit(char.ConvertFromUtf32(c)), NotIn(child, length + 1)));
                }
            }
            return Alt(options);
        }

        return _builder.Define("additional-key", Seq(Lit("\""), NotIn(root, 0)));
    }

    // allOf

    /// <summary>
    /// One schema equivalent to all of <paramref name="branches"/> (their $ref and allOf followed), merged keyword by
    /// keyword; what cannot be merged is refused.
    /// </summary>
    private JsonElement Merge(List<(JsonElement Schema, string Path)> branches, string ownerPath) =>
        new SchemaMerger(Resolve, _options.MaxDepth).Merge(branches, ownerPath);

    // Keyword checks and small readers

    internal static void CheckKeywords(JsonElement schema, string path)
    {
        foreach (JsonProperty property in schema.EnumerateObject())
        {
            if (SchemaKeywords.Refused.TryGetValue(property.Name, out string? reason) && !IsHarmless(property))
            {
                throw new SchemaNotSupportedException(property.Name, path, reason);
            }
            if (ShapeError(property) is string shape)
            {
                throw new SchemaNotSupportedException(property.Name, path, $"{property.Name} must be {shape}");
            }
        }
    }

    /// <summary>
    /// What a supported keyword's value must be when it is not (whatever the schema's type: the meta-schema asks it
    /// of every schema, and validators refuse such a schema), or null.
    /// </summary>
    private static string? ShapeError(JsonProperty property)
    {
        JsonElement value = property.Value;
        bool isSchema = value.ValueKind is JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False;
        bool isSchemaList = value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0
                            && value.EnumerateArray().All(v => v.ValueKind is JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False);
        return property.Name switch
        {
            "minLength" or "maxLength" or "minItems" or "maxItems"
                when value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out decimal count) || count < 0 || decimal.Floor(count) != count
                => "a non-negative integer",
            "minimum" or "maximum" when value.ValueKind != JsonValueKind.Number => "a number",
            "exclusiveMinimum" or "exclusiveMaximum" when value.ValueKind is not (JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False) => "a number",
            "pattern" or "format" or "$ref" when value.ValueKind != JsonValueKind.String => "a string",
            "properties" when value.ValueKind != JsonValueKind.Object
                              || value.EnumerateObject().Any(p => p.Value.ValueKind is not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False))
                => "an object of schemas",
            "required" when value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String)
                => "an array of property names",
            "enum" when value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0 => "a non-empty array",
            "type" when value.ValueKind is not (JsonValueKind.String or JsonValueKind.Array) => "a type name or an array of them",
            "anyOf" or "oneOf" or "allOf" or "prefixItems" when !isSchemaList => "a non-empty array of schemas",
            "items" when !isSchema && !isSchemaList => "a schema or an array of schemas",
            "additionalProperties" or "additionalItems" when !isSchema => "a schema",
            _ => null,
        };
    }

    /// <summary>Refused keywords whose value asks for nothing (<c>uniqueItems: false</c>, <c>minProperties: 0</c>).</summary>
    internal static bool IsHarmless(JsonProperty property) => property.Name switch
    {
        "uniqueItems" => property.Value.ValueKind == JsonValueKind.False,
        "minProperties" or "minContains" => property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetDecimal(out decimal d) && d == 0,
        _ => false,
    };

    internal static bool HasValidationBesides(JsonElement schema, string keyword) =>
        schema.EnumerateObject().Any(p => p.Name != keyword && SchemaKeywords.Validates(p.Name) && !IsHarmless(p));

    internal static JsonElement Without(JsonElement schema, string keyword)
    {
        var copy = new JsonObject();
        foreach (JsonProperty property in schema.EnumerateObject())
        {
            if (property.Name != keyword)
            {
                copy[property.Name] = JsonNode.Parse(property.Value.GetRawText());
            }
        }
        return JsonSerializer.SerializeToElement(copy);
    }

    /// <summary>The types a schema allows: its <c>type</c>, else those its keywords imply, else null (any value).</summary>
    internal static List<string>? ReadTypes(JsonElement schema, string path)
    {
        if (schema.TryGetProperty("type", out JsonElement type))
        {
            var types = new List<string>();
            IEnumerable<JsonElement> listed = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray() : [type];
            foreach (JsonElement item in listed)
            {
                if (item.ValueKind != JsonValueKind.String || !SchemaKeywords.Types.Contains(item.GetString()))
                {
                    throw new SchemaNotSupportedException("type", path, $"{Describe(item)} is not a JSON Schema type");
                }
                if (!types.Contains(item.GetString()!))
                {
                    types.Add(item.GetString()!);
                }
            }
            if (types.Count == 0)
            {
                throw new SchemaNotSupportedException("type", path, "type must name at least one type");
            }
            return types;
        }
        var implied = new List<string>();
        foreach (JsonProperty property in schema.EnumerateObject())
        {
            if (SchemaKeywords.ImpliedType.TryGetValue(property.Name, out string? impliedType) && !implied.Contains(impliedType))
            {
                implied.Add(impliedType);
            }
        }
        return implied.Count == 0 ? null : implied;
    }

    private static string? ReadString(JsonElement schema, string keyword, string path)
    {
        if (!schema.TryGetProperty(keyword, out JsonElement value))
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new SchemaNotSupportedException(keyword, path, $"{keyword} must be a string");
    }

    private static int? ReadCount(JsonElement schema, string keyword, string path)
    {
        if (!schema.TryGetProperty(keyword, out JsonElement value))
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out decimal count) || count < 0 || decimal.Floor(count) != count)
        {
            throw new SchemaNotSupportedException(keyword, path, $"{keyword} must be a non-negative integer");
        }
        if (count > JsonSchemaGrammarOptions.MaxRepetitionCount)
        {
            throw new SchemaNotSupportedException(keyword, path,
                $"{keyword} {count.ToString(CultureInfo.InvariantCulture)} is over llama.cpp's grammar repetition limit of {JsonSchemaGrammarOptions.MaxRepetitionCount}");
        }
        return (int)count;
    }

    private static string Hint(string path)
    {
        int slash = path.LastIndexOf('/');
        string last = slash < 0 ? "" : path[(slash + 1)..];
        return last.Length == 0 || char.IsAsciiDigit(last[0]) && slash > 0 ? (last.Length == 0 ? "value" : Hint(path[..slash]) + "-" + last) : last;
    }

    internal static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string '{Short(value.GetString()!)}'",
        JsonValueKind.Number => $"the number {Short(value.GetRawText())}",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };

    internal static string Short(string text) => text.Length > 60 ? text[..60] + "..." : text;
}
