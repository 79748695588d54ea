using SlmCluster.StructuredOutput;

namespace SlmCluster.StructuredOutputTests;

/// <summary>What the converter cannot enforce it refuses, naming the keyword and where it is; it never drops it.</summary>
public sealed class RefusalTests
{
    public static TheoryData<string, string, string> Refused => new()
    {
        { """{"type":"object","properties":{"a":{"not":{"type":"string"}}}}""", "not", "#/properties/a" },
        { """{"if":{"type":"string"},"then":{"maxLength":3}}""", "if", "#" },
        { """{"type":"object","properties":{"a":{"type":"string"}},"then":{}}""", "then", "#" },
        { """{"else":{"type":"string"}}""", "else", "#" },
        { """{"type":"object","patternProperties":{"^x":{"type":"string"}}}""", "patternProperties", "#" },
        { """{"type":"array","items":{"type":"integer"},"uniqueItems":true}""", "uniqueItems", "#" },
        { """{"type":"object","properties":{"a":{"$ref":"https://example.org/other.json"}}}""", "$ref", "#/properties/a" },
        { """{"$ref":"other.json#/x"}""", "$ref", "#" },
        { """{"$ref":"#anchor"}""", "$ref", "#" },
        { """{"$ref":"#/$defs/missing"}""", "$ref", "#" },
        { """{"type":"object","dependentRequired":{"a":["b"]}}""", "dependentRequired", "#" },
        { """{"type":"object","dependentSchemas":{"a":{}}}""", "dependentSchemas", "#" },
        { """{"type":"string","format":"email"}""", "format", "#" },
        { """{"type":"object","properties":{"list":{"type":"array","items":{"type":"string","format":"hostname"}}}}""", "format", "#/properties/list/items" },
        { """{"type":"integer","multipleOf":5}""", "multipleOf", "#" },
        { """{"type":"object","minProperties":2}""", "minProperties", "#" },
        { """{"type":"array","contains":{"type":"string"}}""", "contains", "#" },
        { """{"type":"object","unevaluatedProperties":false}""", "unevaluatedProperties", "#" },
        { """{"type":"object","propertyNames":{"maxLength":3}}""", "propertyNames", "#" },
        { """{"anyOf":[{"type":"string"},{"not":{}}]}""", "not", "#/anyOf/1" },
        { """{"allOf":[{"type":"string"},{"uniqueItems":true}]}""", "uniqueItems", "#/allOf/1" },
        { """{"type":"string","pattern":"^(?=a)a$"}""", "pattern", "#" },
        { """{"type":"string","pattern":"^(a)\\1$"}""", "pattern", "#" },
        { """{"type":"string","pattern":"abc"}""", "pattern", "#" },
        { """{"type":"string","pattern":"^a\\bb$"}""", "pattern", "#" },
        { """{"type":"string","pattern":"^\\p{L}+$"}""", "pattern", "#" },
        { """{"oneOf":[{"type":"string"},{"type":"string","maxLength":3}]}""", "oneOf", "#" },
        { """{"type":"number","minimum":0.5,"exclusiveMaximum":0.5}""", "minimum", "#" },
        { """{"type":"string","maxLength":5000}""", "maxLength", "#" },
        { """{"type":"array","maxItems":2001}""", "maxItems", "#" },
        { """{"type":"string","minLength":5,"maxLength":2}""", "minLength", "#" },
        { """{"type":"integer","minimum":5,"maximum":4}""", "minimum", "#" },
        { """{"type":"object","properties":{"a":false},"required":["a"]}""", "false", "#/properties/a" },
        { """{"type":"object","required":["a"],"additionalProperties":false}""", "required", "#" },
        { """{"type":"unicorn"}""", "type", "#" },
        { """{"enum":[]}""", "enum", "#" },
        { """{"type":"string","enum":[1,2]}""", "enum", "#" },
        { """{"$defs":{"loop":{"$ref":"#/$defs/loop"}},"$ref":"#/$defs/loop"}""", "$ref", "#" },
        { """{"$defs":{"a":{"anyOf":[{"$ref":"#/$defs/a"},{"type":"null"}]}},"$ref":"#/$defs/a"}""", "$ref", "#" },
        { """{"type":"object","properties":{"self":{"$ref":"#"}},"required":["self"]}""", "$ref", "#" },
        { """{"allOf":[{"type":"string"},{"type":"integer"}]}""", "type", "#" },
        { """{"allOf":[{"properties":{"a":{}},"required":["a"]},{"properties":{"b":{}},"additionalProperties":false}]}""", "allOf", "#" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void An_unsupported_schema_is_refused_naming_the_keyword_and_its_path(string schema, string keyword, string path)
    {
        SchemaNotSupportedException refusal = Assert.Throws<SchemaNotSupportedException>(() => JsonSchemaGrammar.Convert(schema));
        Assert.Equal(keyword, refusal.Keyword);
        Assert.Equal(path, refusal.Path);
        Assert.Contains(path, refusal.Message, StringComparison.Ordinal);
        if (keyword.Length > 0)
        {
            Assert.Contains($"'{keyword}'", refusal.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_message_reads_as_the_keyword_at_its_path() =>
        Assert.StartsWith("Unsupported JSON schema: 'not' at #/properties/a:",
            Assert.Throws<SchemaNotSupportedException>(() => JsonSchemaGrammar.Convert("""{"properties":{"a":{"not":{}}}}""")).Message);

    [Theory]
    [InlineData("{\"type\":")]
    [InlineData("[1,2")]
    [InlineData("42")]
    [InlineData("\"string\"")]
    [InlineData("null")]
    [InlineData("false")]
    public void Text_that_is_not_a_schema_is_refused(string text) =>
        Assert.Throws<SchemaNotSupportedException>(() => JsonSchemaGrammar.Convert(text));

    [Fact]
    public void A_schema_over_the_size_limit_is_refused_with_the_limit()
    {
        var options = new JsonSchemaGrammarOptions { MaxSchemaLength = 100 };
        string schema = "{\"type\":\"object\",\"description\":\"" + new string('x', 200) + "\"}";
        SchemaNotSupportedException refusal = Assert.Throws<SchemaNotSupportedException>(() => JsonSchemaGrammar.Convert(schema, options));
        Assert.Contains("over the limit of 100", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schema_nested_deeper_than_the_limit_is_refused()
    {
        string schema = string.Concat(Enumerable.Repeat("""{"type":"array","items":""", 80)) + "{\"type\":\"null\"}" + new string('}', 80);
        SchemaNotSupportedException refusal = Assert.Throws<SchemaNotSupportedException>(() => JsonSchemaGrammar.Convert(schema));
        Assert.Contains("deeper than 64", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_grammar_over_its_size_limit_is_refused()
    {
        var options = new JsonSchemaGrammarOptions { MaxGrammarLength = 500 };
        string schema = """{"type":"object","properties":{""" + string.Join(",", Enumerable.Range(0, 40).Select(i => $"\"p{i}\":{{\"type\":\"integer\",\"minimum\":{i},\"maximum\":{i * 37 + 5}}}")) + "}}";
        SchemaNotSupportedException refusal = Assert.Throws<SchemaNotSupportedException>(() => JsonSchemaGrammar.Convert(schema, options));
        Assert.Contains("over the limit of 500", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Annotations_and_unknown_keywords_are_ignored()
    {
        string plain = JsonSchemaGrammar.Convert("""{"type":"string","maxLength":3}""").Text;
        string annotated = JsonSchemaGrammar.Convert(
            """{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"urn:x","title":"t","description":"d","examples":["a"],"default":"b","$comment":"c","x-vendor":1,"type":"string","maxLength":3}""").Text;
        Assert.Equal(plain, annotated);
    }

    [Fact]
    public void UniqueItems_false_asks_for_nothing_and_is_accepted() =>
        Assert.Equal(JsonSchemaGrammar.Convert("""{"type":"array","items":{"type":"integer"}}""").Text,
            JsonSchemaGrammar.Convert("""{"type":"array","items":{"type":"integer"},"uniqueItems":false}""").Text);
}
