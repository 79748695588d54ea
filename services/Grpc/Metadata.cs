using System.Collections;

namespace SlmCluster.Grpc;

/// <summary>
/// Custom headers or trailers of a call. Keys are stored lower case, as HTTP/2 requires;
/// values of keys ending in <c>-bin</c> are kept in their base64 wire form.
/// </summary>
public sealed class Metadata : IEnumerable<KeyValuePair<string, string>>
{
    private readonly List<KeyValuePair<string, string>> _entries = [];

    public int Count => _entries.Count;

    public void Add(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _entries.Add(new(NormalizeKey(key), value));
    }

    /// <summary>The first value for <paramref name="key"/> (case-insensitive), or null.</summary>
    public string? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        foreach (var entry in _entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return entry.Value;
            }
        }

        return null;
    }

    /// <summary>Every value for <paramref name="key"/> (case-insensitive), in the order they were added.</summary>
    public IEnumerable<string> GetAll(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        foreach (var entry in _entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                yield return entry.Value;
            }
        }
    }

    public List<KeyValuePair<string, string>>.Enumerator GetEnumerator() => _entries.GetEnumerator();

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Adds a header as received from the wire, where HTTP's looser name rules have already applied.</summary>
    internal void AddFromWire(string key, string value) => _entries.Add(new(key.ToLowerInvariant(), value));

    private static string NormalizeKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        foreach (var c in key)
        {
            // The spec's Header-Name: digits, letters, '-', '_' and '.'; HTTP/2 sends them lower case.
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                throw new ArgumentException($"Metadata key '{key}' contains '{c}'; only ASCII letters, digits, '-', '_' and '.' are allowed.", nameof(key));
            }
        }

        return key.ToLowerInvariant();
    }
}
