using System.Text.Json;
using SlmCluster.StructuredOutput;

namespace SlmCluster.StructuredOutputTests;

public sealed class GrammarCacheTests
{
    [Fact]
    public void The_same_schema_in_another_key_order_and_spacing_is_converted_once()
    {
        var cache = new GrammarCache(capacity: 4);
        GbnfGrammar first = cache.GetOrConvert("""{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}""");
        GbnfGrammar second = cache.GetOrConvert("""{ "required": ["a"], "properties": { "a": { "type": "integer" } }, "type": "object" }""");
        Assert.Same(first, second);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void The_key_is_the_SHA256_of_the_canonical_text()
    {
        using JsonDocument schema = JsonDocument.Parse("""{"b":1,"a":[true,{"d":null,"c":"x"}]}""");
        byte[] canonical = System.Text.Encoding.UTF8.GetBytes("""{"a":[true,{"c":"x","d":null}],"b":1}""");
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(canonical)), GrammarCache.KeyOf(schema.RootElement));
    }

    [Fact]
    public void The_cache_holds_at_most_its_capacity_and_drops_the_least_recently_used()
    {
        var cache = new GrammarCache(capacity: 2);
        GbnfGrammar one = cache.GetOrConvert("""{"type":"integer","maximum":1}""");
        cache.GetOrConvert("""{"type":"integer","maximum":2}""");
        Assert.Same(one, cache.GetOrConvert("""{"type":"integer","maximum":1}"""));
        cache.GetOrConvert("""{"type":"integer","maximum":3}""");
        Assert.Equal(2, cache.Count);
        Assert.Same(one, cache.GetOrConvert("""{"type":"integer","maximum":1}"""));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void A_refused_schema_is_refused_again_and_not_cached()
    {
        var cache = new GrammarCache(capacity: 2);
        Assert.Throws<SchemaNotSupportedException>(() => cache.GetOrConvert("""{"not":{}}"""));
        Assert.Throws<SchemaNotSupportedException>(() => cache.GetOrConvert("""{"not":{}}"""));
        Assert.Equal(0, cache.Count);
    }
}
