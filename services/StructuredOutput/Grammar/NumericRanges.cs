using System.Globalization;
using static SlmCluster.StructuredOutput.Grammar.GbnfNode;

namespace SlmCluster.StructuredOutput.Grammar;

/// <summary>
/// Grammars for integers in a range, exactly, and for decimal numbers between whole-number bounds. Digits are
/// limited to 16 before the point (every value stays exact in a double), so bounds beyond that are clamped to it.
/// </summary>
internal static class NumericRanges
{
    public const long MaxMagnitude = 9_999_999_999_999_999;

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

    /// <summary>
    /// Decimal numbers (no exponent) with <paramref name="low"/> ≤ x (&lt; when <paramref name="lowExclusive"/>) and
    /// x ≤ <paramref name="high"/> (&lt; when <paramref name="highExclusive"/>), bounds whole numbers; null when none fits.
    /// </summary>
    public static GbnfNode? Decimals(long? low, bool lowExclusive, long? high, bool highExclusive)
    {
        if (low is long l && high is long h && (l > h || (l == h && (lowExclusive || highExclusive))))
        {
            return null;
        }
        var parts = new List<GbnfNode>();
        // x >= 0 part: magnitude m = x.
        if (high is not long hi0 || hi0 > 0 || (hi0 == 0 && !highExclusive))
        {
            long mLow = low is long lo0 && lo0 >= 0 ? lo0 : 0;
            bool mLowExclusive = low is long lo1 && lo1 >= 0 && lowExclusive;
            if (Magnitudes(mLow, mLowExclusive, high, !highExclusive) is GbnfNode nonNegative)
            {
                parts.Add(nonNegative);
            }
        }
        // x < 0 part: magnitude m = -x > 0.
        if (low is not long lo2 || lo2 < 0)
        {
            long mLow = high is long hi1 && hi1 < 0 ? -hi1 : 0;
            bool mLowExclusive = high is long hi2 && hi2 < 0 ? highExclusive : true;
            long? mHigh = low is long lo3 ? -lo3 : null;
            if (Magnitudes(mLow, mLowExclusive, mHigh, !lowExclusive) is GbnfNode negative)
            {
                parts.Add(Seq(Lit("-"), negative));
            }
        }
        return parts.Count == 0 ? null : Alt(parts);
    }

    /// <summary>Non-negative decimals m with low ≤ m (or &lt;) and m ≤ high (or &lt;), written as integer part and fraction.</summary>
    private static GbnfNode? Magnitudes(long low, bool lowExclusive, long? high, bool highInclusive)
    {
        low = Math.Min(low, MaxMagnitude);
        long? cappedHigh = high is long h ? Math.Min(h, MaxMagnitude) : null;
        GbnfNode anyFraction = Optional(Seq(Lit("."), Repeat(Digit, 1, 16)));
        GbnfNode zeroFraction = Optional(Seq(Lit("."), Repeat(Lit("0"), 1, 16)));
        GbnfNode nonZeroFraction = Seq(Lit("."), Repeat(Lit("0"), 0, 15), new GbnfCharClass([('1', '9')]), Repeat(Digit, 0, 15));
        var parts = new List<GbnfNode>();

        long anyFrom = lowExclusive ? low + 1 : low;
        long anyTo = cappedHigh is long ch ? ch - 1 : MaxMagnitude;
        if (anyFrom <= anyTo)
        {
            parts.Add(Seq(Digits(anyFrom, anyTo), anyFraction));
        }
        if (lowExclusive && (cappedHigh is not long ch1 || ch1 > low))
        {
            parts.Add(Seq(Lit(low.ToString(CultureInfo.InvariantCulture)), nonZeroFraction));
        }
        if (cappedHigh is long ch2 && highInclusive && (ch2 > low || (ch2 == low && !lowExclusive)))
        {
            parts.Add(Seq(Lit(ch2.ToString(CultureInfo.InvariantCulture)), zeroFraction));
        }
        return parts.Count == 0 ? null : Alt(parts);
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
