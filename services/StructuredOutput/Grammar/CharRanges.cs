namespace SlmCluster.StructuredOutput.Grammar;

/// <summary>Sets of code points as sorted, disjoint, inclusive ranges.</summary>
internal static class CharRanges
{
    public const int MaxCodePoint = 0x10FFFF;

    /// <summary>What may stand unescaped inside a JSON string (no quote, backslash, control character or surrogate; DEL too, as llama.cpp's own grammar).</summary>
    public static readonly IReadOnlyList<(int From, int To)> JsonStringSafe =
        [(0x20, 0x21), (0x23, 0x5B), (0x5D, 0x7E), (0x80, 0xD7FF), (0xE000, MaxCodePoint)];

    public static List<(int From, int To)> Normalize(IEnumerable<(int From, int To)> ranges)
    {
        var sorted = ranges.Where(r => r.From <= r.To).OrderBy(r => r.From).ToList();
        var result = new List<(int From, int To)>();
        foreach ((int from, int to) in sorted)
        {
            if (result.Count > 0 && from <= result[^1].To + 1)
            {
                result[^1] = (result[^1].From, Math.Max(result[^1].To, to));
            }
            else
            {
                result.Add((from, to));
            }
        }
        return result;
    }

    public static List<(int From, int To)> Complement(IEnumerable<(int From, int To)> ranges)
    {
        var result = new List<(int From, int To)>();
        int next = 0;
        foreach ((int from, int to) in Normalize(ranges))
        {
            if (from > next)
            {
                result.Add((next, from - 1));
            }
            next = to + 1;
        }
        if (next <= MaxCodePoint)
        {
            result.Add((next, MaxCodePoint));
        }
        return result;
    }

    public static List<(int From, int To)> Intersect(IEnumerable<(int From, int To)> a, IEnumerable<(int From, int To)> b)
    {
        var result = new List<(int From, int To)>();
        List<(int From, int To)> left = Normalize(a);
        List<(int From, int To)> right = Normalize(b);
        int i = 0, j = 0;
        while (i < left.Count && j < right.Count)
        {
            int from = Math.Max(left[i].From, right[j].From);
            int to = Math.Min(left[i].To, right[j].To);
            if (from <= to)
            {
                result.Add((from, to));
            }
            if (left[i].To < right[j].To)
            {
                i++;
            }
            else
            {
                j++;
            }
        }
        return result;
    }

    public static List<(int From, int To)> Subtract(IEnumerable<(int From, int To)> a, IEnumerable<(int From, int To)> b) =>
        Intersect(a, Complement(b));

    public static bool Contains(IEnumerable<(int From, int To)> ranges, int c) => ranges.Any(r => r.From <= c && c <= r.To);
}
