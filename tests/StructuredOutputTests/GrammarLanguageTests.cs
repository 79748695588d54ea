using SlmCluster.StructuredOutput;

namespace SlmCluster.StructuredOutputTests;

/// <summary>
/// Exactly which texts a converted grammar accepts, asked of llama.cpp's own grammar sampler one character at a time:
/// integer bounds are exact, number bounds hold, lengths count characters, formats and patterns mean what they say,
/// and whitespace between tokens is bounded.
/// </summary>
public sealed class GrammarLanguageTests
{
    private readonly GrammarWalker _walker = new(TestModel.Model);

    private bool Accepts(string schema, string text) => _walker.Accepts(JsonSchemaGrammar.Convert(schema).Text, text);

    [Theory]
    [InlineData(-7, 12)]
    [InlineData(95, 1003)]
    [InlineData(-250, -31)]
    [InlineData(0, 0)]
    public void An_integer_range_accepts_exactly_the_integers_inside_it(int minimum, int maximum)
    {
        string grammar = JsonSchemaGrammar.Convert($$"""{"type":"integer","minimum":{{minimum}},"maximum":{{maximum}}}""").Text;
        for (int value = minimum - 30; value <= maximum + 30; value++)
        {
            Assert.True(_walker.Accepts(grammar, value.ToString(System.Globalization.CultureInfo.InvariantCulture)) == (value >= minimum && value <= maximum),
                $"{value} in [{minimum}, {maximum}]");
        }
        Assert.False(_walker.Accepts(grammar, "01"));
        Assert.False(_walker.Accepts(grammar, "1.0"));
    }

    [Fact]
    public void Exclusive_integer_bounds_leave_out_the_bound()
    {
        string grammar = JsonSchemaGrammar.Convert("""{"type":"integer","exclusiveMinimum":-3,"exclusiveMaximum":3}""").Text;
        Assert.Equal(["-2", "-1", "0", "1", "2"], new[] { "-4", "-3", "-2", "-1", "0", "1", "2", "3", "4" }.Where(v => _walker.Accepts(grammar, v)));
    }

    [Fact]
    public void An_integer_with_only_a_lower_bound_accepts_large_values_above_it()
    {
        string grammar = JsonSchemaGrammar.Convert("""{"type":"integer","minimum":10}""").Text;
        Assert.True(_walker.Accepts(grammar, "10"));
        Assert.True(_walker.Accepts(grammar, "999999999999999"));
        Assert.False(_walker.Accepts(grammar, "1000000000000000"));
        Assert.False(_walker.Accepts(grammar, "9"));
        Assert.False(_walker.Accepts(grammar, "-11"));
    }

    [Theory]
    [InlineData("0", false)]
    [InlineData("0.0", false)]
    [InlineData("0.5", true)]
    [InlineData("0.0001", true)]
    [InlineData("0.9999", true)]
    [InlineData("1", false)]
    [InlineData("1.0", false)]
    [InlineData("-0.5", false)]
    [InlineData("1e-3", false)]
    public void A_number_between_exclusive_bounds_stays_strictly_inside(string text, bool accepted) =>
        Assert.Equal(accepted, Accepts("""{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1}""", text));

    [Theory]
    [InlineData("-40", true)]
    [InlineData("-40.0", true)]
    [InlineData("-40.01", false)]
    [InlineData("-39.99", true)]
    [InlineData("60", true)]
    [InlineData("60.00", true)]
    [InlineData("60.5", false)]
    [InlineData("61", false)]
    [InlineData("12.25", true)]
    public void A_number_between_inclusive_bounds_includes_them(string text, bool accepted) =>
        Assert.Equal(accepted, Accepts("""{"type":"number","minimum":-40,"maximum":60}""", text));

    [Fact]
    public void String_lengths_count_characters_and_escapes_count_once()
    {
        const string schema = """{"type":"string","minLength":2,"maxLength":3}""";
        Assert.False(Accepts(schema, "\"a\""));
        Assert.True(Accepts(schema, "\"ab\""));
        Assert.True(Accepts(schema, "\"a\\nb\""));
        Assert.False(Accepts(schema, "\"abcd\""));
    }

    [Fact]
    public void A_string_without_maxLength_stops_at_the_configured_cap()
    {
        var options = new JsonSchemaGrammarOptions { UnboundedStringMaxLength = 5 };
        string grammar = JsonSchemaGrammar.Convert("""{"type":"string"}""", options).Text;
        Assert.True(_walker.Accepts(grammar, "\"abcde\""));
        Assert.False(_walker.Accepts(grammar, "\"abcdef\""));
    }

    [Fact]
    public void Strings_never_hold_a_raw_control_character_or_a_lone_surrogate_escape()
    {
        const string schema = """{"type":"string"}""";
        Assert.False(Accepts(schema, "\"a\tb\""));
        Assert.True(Accepts(schema, "\"\\u00e9\""));
        Assert.False(Accepts(schema, "\"\\ud800\""));
    }

    [Theory]
    [InlineData("date", "\"2024-02-28\"", true)]
    [InlineData("date", "\"2024-02-30\"", false)]
    [InlineData("date", "\"2024-04-31\"", false)]
    [InlineData("date", "\"2024-13-01\"", false)]
    [InlineData("time", "\"23:59:59Z\"", true)]
    [InlineData("time", "\"12:30:00.125+02:00\"", true)]
    [InlineData("time", "\"24:00:00Z\"", false)]
    [InlineData("time", "\"12:30:00\"", false)]
    [InlineData("date-time", "\"2026-12-07T09:23:37Z\"", true)]
    [InlineData("date-time", "\"2026-12-07 09:23:37Z\"", false)]
    [InlineData("uuid", "\"123e4567-e89b-12d3-a456-426614174000\"", true)]
    [InlineData("uuid", "\"123e4567e89b12d3a456426614174000\"", false)]
    public void A_format_accepts_what_its_RFC_allows(string format, string text, bool accepted) =>
        Assert.Equal(accepted, Accepts($$"""{"type":"string","format":"{{format}}"}""", text));

    [Theory]
    [InlineData("^[0-9]{5}(-[0-9]{4})?$", "\"12345\"", true)]
    [InlineData("^[0-9]{5}(-[0-9]{4})?$", "\"12345-6789\"", true)]
    [InlineData("^[0-9]{5}(-[0-9]{4})?$", "\"1234\"", false)]
    [InlineData("^(cat|dog)s?$", "\"dogs\"", true)]
    [InlineData("^(cat|dog)s?$", "\"cow\"", false)]
    [InlineData("^a\"b$", "\"a\\\"b\"", true)]
    [InlineData("^a\"b$", "\"a\"b\"", false)]
    [InlineData("^\\d+\\.\\d{2}$", "\"3.14\"", true)]
    [InlineData("^\\d+\\.\\d{2}$", "\"3x14\"", false)]
    [InlineData("^[^a-z]+$", "\"ABC\"", true)]
    [InlineData("^[^a-z]+$", "\"AbC\"", false)]
    public void A_pattern_accepts_the_JSON_strings_whose_value_it_matches(string pattern, string text, bool accepted) =>
        Assert.Equal(accepted, Accepts($$"""{"type":"string","pattern":{{System.Text.Json.JsonSerializer.Serialize(pattern)}}}""", text));

    [Fact]
    public void Whitespace_between_tokens_is_bounded()
    {
        const string schema = """{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}""";
        Assert.True(Accepts(schema, "{\n  \"a\" : 1\n}"));
        Assert.False(Accepts(schema, "{  \"a\":1}"));
        Assert.False(Accepts(schema, "{\n" + new string(' ', 21) + "\"a\":1}"));
    }

    [Fact]
    public void Properties_come_in_declared_order_with_optional_ones_left_out_and_no_others()
    {
        const string schema = """{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"integer"}},"required":["b"]}""";
        Assert.True(Accepts(schema, "{\"b\":1}"));
        Assert.True(Accepts(schema, "{\"a\":1,\"b\":2,\"c\":3}"));
        Assert.True(Accepts(schema, "{\"b\":2,\"c\":3}"));
        Assert.False(Accepts(schema, "{\"a\":1}"));
        Assert.False(Accepts(schema, "{\"b\":1,\"d\":2}"));
        Assert.False(Accepts(schema, "{}"));
    }

    [Fact]
    public void Additional_properties_allowed_by_a_schema_never_repeat_a_declared_name()
    {
        const string schema = """{"type":"object","properties":{"id":{"type":"integer"}},"additionalProperties":{"type":"boolean"}}""";
        Assert.True(Accepts(schema, "{\"id\":1,\"x\":true}"));
        Assert.True(Accepts(schema, "{\"idx\":true}"));
        Assert.False(Accepts(schema, "{\"id\":1,\"id\":true}"));
        Assert.False(Accepts(schema, "{\"x\":1}"));
    }

    [Fact]
    public void Array_bounds_hold_for_prefix_items_and_the_rest()
    {
        const string schema = """{"type":"array","prefixItems":[{"type":"string"}],"items":{"type":"integer"},"minItems":2,"maxItems":3}""";
        Assert.False(Accepts(schema, "[\"a\"]"));
        Assert.True(Accepts(schema, "[\"a\",1]"));
        Assert.True(Accepts(schema, "[\"a\",1,2]"));
        Assert.False(Accepts(schema, "[\"a\",1,2,3]"));
        Assert.False(Accepts(schema, "[1,2]"));
    }

    [Fact]
    public void The_any_object_grammar_accepts_objects_only()
    {
        string grammar = JsonSchemaGrammar.AnyObject().Text;
        Assert.True(GrammarWalker.Loads(grammar));
        Assert.True(_walker.Accepts(grammar, "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}"));
        Assert.True(_walker.Accepts(grammar, "{}"));
        Assert.False(_walker.Accepts(grammar, "[1]"));
        Assert.False(_walker.Accepts(grammar, "\"text\""));
        (string text, bool ended, _) = _walker.Walk(grammar, 7, 400);
        Assert.True(ended);
        Assert.Equal(System.Text.Json.JsonValueKind.Object, System.Text.Json.JsonDocument.Parse(text).RootElement.ValueKind);
    }

    [Fact]
    public void The_any_value_grammar_accepts_every_kind_of_JSON_value()
    {
        string grammar = JsonSchemaGrammar.AnyValue().Text;
        foreach (string value in new[] { "null", "true", "-1.5e3", "\"s\"", "[]", "{\"a\":{}}" })
        {
            Assert.True(_walker.Accepts(grammar, value), value);
        }
    }

    [Fact]
    public void Number_bounds_with_fractions_hold_exactly_for_every_value_around_them()
    {
        var random = new Random(7);
        for (int round = 0; round < 24; round++)
        {
            decimal low = Math.Round((decimal)(random.NextDouble() * 40 - 20), random.Next(4));
            decimal high = low + Math.Round((decimal)(random.NextDouble() * 6), random.Next(4));
            bool lowExclusive = random.Next(2) == 0, highExclusive = random.Next(2) == 0;
            string schema = $$"""{"type":"number","{{(lowExclusive ? "exclusiveMinimum" : "minimum")}}":{{low}},"{{(highExclusive ? "exclusiveMaximum" : "maximum")}}":{{high}}}""";
            GbnfGrammar grammar;
            try
            {
                grammar = JsonSchemaGrammar.Convert(schema);
            }
            catch (SchemaNotSupportedException) when (low == high && (lowExclusive || highExclusive))
            {
                continue;
            }
            for (int i = 0; i < 60; i++)
            {
                decimal value = Math.Round(low - 1 + (decimal)random.NextDouble() * (high - low + 2), random.Next(5));
                if (i < 4)
                {
                    value = i switch { 0 => low, 1 => high, 2 => low + 0.001m, _ => high - 0.001m };
                }
                string text = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
                bool inside = (lowExclusive ? value > low : value >= low) && (highExclusive ? value < high : value <= high);
                Assert.True(_walker.Accepts(grammar.Text, text) == inside, $"{text} against {schema}");
            }
        }
    }

    [Fact]
    public void A_false_subschema_leaves_out_what_it_forbids()
    {
        Assert.False(Accepts("""{"type":"object","properties":{"a":false,"b":{"type":"integer"}}}""", "{\"a\":1}"));
        Assert.True(Accepts("""{"type":"object","properties":{"a":false,"b":{"type":"integer"}}}""", "{\"b\":1}"));
        Assert.True(Accepts("""{"type":"array","prefixItems":[{"type":"integer"},false],"items":{"type":"integer"}}""", "[1]"));
        Assert.False(Accepts("""{"type":"array","prefixItems":[{"type":"integer"},false],"items":{"type":"integer"}}""", "[1,2]"));
        Assert.True(Accepts("""{"anyOf":[false,{"type":"null"}]}""", "null"));
    }
}
