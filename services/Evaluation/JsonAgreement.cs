using System.Text.Json;

namespace SlmCluster.Evaluation;

/// <summary>
/// How far two structured answers agree: the share of their values, leaf by leaf over the union of both documents'
/// paths, that are equal as their JSON type compares them (numbers by value, so <c>3</c> and <c>3.0</c> agree;
/// strings, booleans and null exactly). Object keys are matched by name, in any order; array items by position. A key
/// or item one side lacks counts its leaves as disagreeing, and values of different types disagree. 1 means the same
/// keys with equal values; an answer that is not JSON where the reference is scores 0.
/// </summary>
public static class JsonAgreement
{
    /// <summary>The score, or null when neither text is JSON (there is no structure to compare).</summary>
    public static double? Score(string answer, string reference)
    {
        var (a, b) = (Parse(answer), Parse(reference));
        try
        {
            if (a is null || b is null)
            {
                return a is null && b is null ? null : 0;
            }

            return Score(a.RootElement, b.RootElement);
        }
        finally
        {
            a?.Dispose();
            b?.Dispose();
        }
    }

    public static double Score(JsonElement answer, JsonElement reference)
    {
        var (agreeing, total) = Compare(answer, reference);
        return total == 0 ? 1 : (double)agreeing / total;
    }

    private static JsonDocument? Parse(string text)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static (int Agreeing, int Total) Compare(JsonElement a, JsonElement b)
    {
        if (a.ValueKind == JsonValueKind.Object && b.ValueKind == JsonValueKind.Object)
        {
            var left = a.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
            var right = b.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
            if (left.Count == 0 && right.Count == 0)
            {
                return (1, 1);
            }

            var (agreeing, total) = (0, 0);
            foreach (var key in left.Keys.Union(right.Keys))
            {
                var (x, y) = (left.TryGetValue(key, out var l), right.TryGetValue(key, out var r));
                var (same, all) = x && y ? Compare(l, r) : (0, Leaves(x ? l : r));
                agreeing += same;
                total += all;
            }

            return (agreeing, total);
        }

        if (a.ValueKind == JsonValueKind.Array && b.ValueKind == JsonValueKind.Array)
        {
            var (left, right) = (a.EnumerateArray().ToArray(), b.EnumerateArray().ToArray());
            if (left.Length == 0 && right.Length == 0)
            {
                return (1, 1);
            }

            var (agreeing, total) = (0, 0);
            for (var i = 0; i < Math.Max(left.Length, right.Length); i++)
            {
                var (same, all) = i < left.Length && i < right.Length ? Compare(left[i], right[i]) : (0, Leaves(i < left.Length ? left[i] : right[i]));
                agreeing += same;
                total += all;
            }

            return (agreeing, total);
        }

        if (IsContainer(a) || IsContainer(b))
        {
            return (0, Math.Max(Leaves(a), Leaves(b)));
        }

        return (ScalarsEqual(a, b) ? 1 : 0, 1);
    }

    private static bool IsContainer(JsonElement e) => e.ValueKind is JsonValueKind.Object or JsonValueKind.Array;

    /// <summary>How many values a document counts: its scalars, and an empty object or array as one.</summary>
    private static int Leaves(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => Math.Max(1, e.EnumerateObject().Sum(p => Leaves(p.Value))),
        JsonValueKind.Array => Math.Max(1, e.EnumerateArray().Sum(Leaves)),
        _ => 1,
    };

    private static bool ScalarsEqual(JsonElement a, JsonElement b)
    {
        if (a.ValueKind != b.ValueKind)
        {
            return false;
        }

        return a.ValueKind switch
        {
            JsonValueKind.String => a.GetString() == b.GetString(),
            JsonValueKind.Number => a.TryGetDecimal(out var x) && b.TryGetDecimal(out var y) ? x == y : a.GetDouble() == b.GetDouble(),
            _ => true, // true, false and null: the kinds are the values
        };
    }
}
