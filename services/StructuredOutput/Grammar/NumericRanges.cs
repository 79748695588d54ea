using System.Globalization;
using static SlmCluster.StructuredOutput.Grammar.GbnfNode;

namespace SlmCluster.StructuredOutput.Grammar;

/// <summary>
/// Grammars for integers in a range, exactly. Integers have at most 15 digits (every one is exact in a double, so a
/// validator reading doubles compares them exactly), so bounds beyond that are clamped to it.
/// </summary>
internal static class NumericRanges
{
    public const long MaxMagnitude = 999_999_999_999_999;

    private static readonly GbnfNode Digit = new GbnfCharClass([('0', '9')]);

    /// <summary>Integers in [<paramref name="low"/>, <paramref name="high"/>] (null: open), or null when the range holds none.</summary>
    public static GbnfNode? Integers(long? low, long? high)
    {
        long lo = Math.Max(low ?? -MaxMagnitude, -MaxMagnitude);
        long hi = Math.Min(high ?? MaxMagnitude, MaxMagnitude);
        if (lo > hi)
        {
            return null;
        }
        var parts = new List<GbnfNode>();
        if (hi >= 0)
        {
            parts.Add(Digits(Math.Max(lo, 0), hi));
        }
        if (lo < 0)
        {
            parts.Add(Seq(Lit("-"), Digits(hi < 0 ? -hi : 1, -lo)));
        }
        return Alt(parts);
    }

    /// <summary>Decimal digit strings without leading zeros for the integers in [a, b], 0 ≤ a ≤ b.</summary>
    private static GbnfNode Digits(long a, long b)
    {
        var parts = new List<GbnfNode>();
        int lengthA = Length(a);
        int lengthB = Length(b);
        for (int length = lengthA; length <= lengthB; length++)
        {
            long from = Math.Max(a, length == 1 ? 0 : Pow10(length - 1));
            long to = Math.Min(b, Pow10(length) - 1);
            if (from <= to)
            {
                parts.Add(SameLength(Text(from, length), Text(to, length)));
            }
        }
        return Alt(parts);
    }

    private static GbnfNode SameLength(string x, string y)
    {
        if (x.Length == 1)
        {
            return x[0] == y[0] ? Lit(x) : new GbnfCharClass([(x[0], y[0])]);
        }
        if (x[0] == y[0])
        {
            return Seq(Lit(x[..1]), SameLength(x[1..], y[1..]));
        }
        var parts = new List<GbnfNode>();
        string restX = x[1..];
        string restY = y[1..];
        char middleFrom = x[0];
        char middleTo = y[0];
        if (restX.Any(c => c != '0'))
        {
            parts.Add(Seq(Lit(x[..1]), SameLength(restX, new string('9', restX.Length))));
            middleFrom++;
        }
        bool highAllNines = restY.All(c => c == '9');
        if (!highAllNines)
        {
            middleTo--;
        }
        if (middleFrom <= middleTo)
        {
            parts.Add(Seq(middleFrom == middleTo ? Lit(middleFrom.ToString()) : new GbnfCharClass([(middleFrom, middleTo)]),
                Repeat(Digit, restX.Length, restX.Length)));
        }
        if (!highAllNines)
        {
            parts.Add(Seq(Lit(y[..1]), SameLength(new string('0', restY.Length), restY)));
        }
        return Alt(parts);
    }

    private static string Text(long value, int length) => value.ToString(CultureInfo.InvariantCulture).PadLeft(length, '0');

    private static int Length(long value) => value.ToString(CultureInfo.InvariantCulture).Length;

    private static long Pow10(int exponent)
    {
        long result = 1;
        for (int i = 0; i < exponent; i++)
        {
            result *= 10;
        }
        return result;
    }
}
