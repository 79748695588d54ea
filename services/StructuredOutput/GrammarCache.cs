using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SlmCluster.StructuredOutput.Schema;

namespace SlmCluster.StructuredOutput;

/// <summary>
/// Converted grammars by the SHA-256 of the schema's canonical text (keys sorted, no whitespace), so the same schema
/// sent again, in any key order, is converted once. Holds at most <see cref="Capacity"/> grammars and drops the least
/// recently used. Refusals are not cached (they are cheap to repeat and carry the caller's path). Thread-safe.
/// </summary>
public sealed class GrammarCache
{
    private readonly JsonSchemaGrammarOptions _options;
    private readonly Dictionary<string, LinkedListNode<(string Key, GbnfGrammar Grammar)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, GbnfGrammar Grammar)> _recency = new();
    private readonly Lock _lock = new();

    public GrammarCache(int capacity = 256, JsonSchemaGrammarOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _options = options ?? JsonSchemaGrammarOptions.Default;
        _options.Validate();
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The grammar of <paramref name="schema"/>, converted now or taken from the cache.</summary>
    /// <exception cref="SchemaNotSupportedException">As <see cref="JsonSchemaGrammar.Convert(JsonElement, JsonSchemaGrammarOptions?)"/>.</exception>
    public GbnfGrammar GetOrConvert(JsonElement schema)
    {
        int length = schema.GetRawText().Length;
        if (length > _options.MaxSchemaLength)
        {
            throw new SchemaNotSupportedException("", "#", $"the schema is {length} characters long, over the limit of {_options.MaxSchemaLength}");
        }
        string key = KeyOf(schema);
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                return node.Value.Grammar;
            }
        }
        GbnfGrammar grammar = JsonSchemaGrammar.Convert(schema, _options);
        lock (_lock)
        {
            if (!_entries.ContainsKey(key))
            {
                _entries[key] = _recency.AddFirst((key, grammar));
                if (_entries.Count > Capacity)
                {
                    _entries.Remove(_recency.Last!.Value.Key);
                    _recency.RemoveLast();
                }
            }
        }
        return grammar;
    }

    /// <summary>Parses <paramref name="schemaJson"/> (refusing text that is not JSON) and converts it or takes it from the cache.</summary>
    public GbnfGrammar GetOrConvert(string schemaJson)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        if (schemaJson.Length > _options.MaxSchemaLength)
        {
            throw new SchemaNotSupportedException("", "#", $"the schema is {schemaJson.Length} characters long, over the limit of {_options.MaxSchemaLength}");
        }
        using JsonDocument document = JsonSchemaGrammar.Parse(schemaJson, _options);
        return GetOrConvert(document.RootElement);
    }

    /// <summary>The cache key of a schema: hex SHA-256 of its canonical JSON text.</summary>
    public static string KeyOf(JsonElement schema) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonText.Canonical(schema))));
}
