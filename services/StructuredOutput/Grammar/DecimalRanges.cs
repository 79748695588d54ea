using System.Globalization;
using static SlmCluster.StructuredOutput.Grammar.GbnfNode;

namespace SlmCluster.StructuredOutput.Grammar;

/// <summary>
/// Decimal numbers (no exponent) between bounds, exactly: the integer part by digit ranges, the fraction digit by
/// digit against the bound's fraction. Values have at most <see cref="MaxIntegerDigits"/> integer and
/// <see cref="MaxFractionDigits"/> fraction digits, 15 significant digits in all, so a validator that reads them as
/// doubles orders them exactly as their decimal text does (no value rounds onto an exclusive bound).
/// </summary>
internal static class DecimalRanges
{
    public const int MaxIntegerDigits = 9;
    public const int MaxFractionDigits = 6;
    public const long MaxIntegerPart = 999_999_999;

    private static readonly GbnfNode Digit = new GbnfCharClass([('0', '9')]);

    /// <summary>
    /// Numbers x with low ≤ x (&lt; when exclusive) and x ≤ high (&lt;), null bounds open; null when none fits. Bounds
    /// beyond the digits' reach are clamped (a lower bound below -999999999.999999 is no bound).
    /// </summary>
    public static GbnfNode? Between(decimal? low, bool lowExclusive, decimal? high, bool highExclusive)
    {
        decimal limit = MaxIntegerPart + 0.999999m;
        if (low < -limit)
        {
            low = null;
        }
        if (high > limit)
        {
            high = null;
        }
        if ((low is decimal l && (l > limit || (high is decimal h0 && (l > h0 || (l == h0 && (lowExclusive || highExclusive))))))
            || high < -limit)
        {
            return null;
        }
        var parts = new List<GbnfNode>();
        // x >= 0: the magnitude is x.
        if (high is not decimal h || h > 0 || (h == 0 && !highExclusive))
        {
            bool lowApplies = low is decimal l1 && l1 >= 0;
            if (Magnitudes(lowApplies ? low!.Value : 0, lowApplies && lowExclusive, high, high is null || !highExclusive) is GbnfNode nonNegative)
            {
                parts.Add(nonNegative);
            }
        }
        // x < 0: the magnitude is -x, above 0 and above -high when high < 0, below -low.
        if (low is not decimal l2 || l2 < 0)
        {
            bool highApplies = high is decimal h1 && h1 < 0;
            if (Magnitudes(highApplies ? -high!.Value : 0, !highApplies || highExclusive, low is decimal l3 ? -l3 : null, !lowExclusive) is GbnfNode negative)
            {
                parts.Add(Seq(Lit("-"), negative));
            }
        }
        return parts.Count == 0 ? null : Alt(parts);
    }

    /// <summary>Non-negative decimals m with low ≤ m (or &lt;) and m ≤ high (or &lt;), high null for none.</summary>
    private static GbnfNode? Magnitudes(decimal low, bool lowExclusive, decimal? high, bool highInclusive)
    {
        long lowInteger = (long)decimal.Floor(low);
        string lowFraction = FractionDigits(low);
        var parts = new List<GbnfNode>();
        if (high is decimal h)
        {
            long highInteger = (long)decimal.Floor(h);
            string highFraction = FractionDigits(h);
            if (lowInteger == highInteger)
            {
                Add(parts, lowInteger, Fraction(BetweenDigits(lowFraction, !lowExclusive, highFraction, highInclusive, MaxFractionDigits)));
                return parts.Count == 0 ? null : Alt(parts);
            }
            Add(parts, lowInteger, Fraction(Above(lowFraction, !lowExclusive, MaxFractionDigits)));
            if (lowInteger + 1 <= highInteger - 1)
            {
                parts.Add(Seq(IntegerDigits(lowInteger + 1, highInteger - 1), AnyFraction()));
            }
            Add(parts, highInteger, Fraction(Below(highFraction, highInclusive, MaxFractionDigits)));
        }
        else
        {
            Add(parts, lowInteger, Fraction(Above(lowFraction, !lowExclusive, MaxFractionDigits)));
            if (lowInteger + 1 <= MaxIntegerPart)
            {
                parts.Add(Seq(IntegerDigits(lowInteger + 1, MaxIntegerPart), AnyFraction()));
            }
        }
        return parts.Count == 0 ? null : Alt(parts);
    }

    private static void Add(List<GbnfNode> parts, long integerPart, GbnfNode? fraction)
    {
        if (fraction is not null)
        {
            parts.Add(Seq(Lit(integerPart.ToString(CultureInfo.InvariantCulture)), fraction));
        }
    }

    /// <summary>A digit-string language (does it hold the empty string, and its non-empty strings) as "" or "." digits.</summary>
    private static GbnfNode? Fraction((bool Empty, GbnfNode? NonEmpty) digits) => digits switch
    {
        (false, null) => null,
        (true, null) => Empty,
        (false, GbnfNode nonEmpty) => Seq(Lit("."), nonEmpty),
        (true, GbnfNode nonEmpty) => Optional(Seq(Lit("."), nonEmpty)),
    };

    private static GbnfNode AnyFraction() => Optional(Seq(Lit("."), Repeat(Digit, 1, MaxFractionDigits)));

    /// <summary>The digits after the point of a non-negative decimal, without trailing zeros ("" for a whole number).</summary>
    private static string FractionDigits(decimal value)
    {
        string text = (value - decimal.Floor(value)).ToString(CultureInfo.InvariantCulture);
        int point = text.IndexOf('.');
        return point < 0 ? "" : text[(point + 1)..].TrimEnd('0');
    }

    // Digit strings s of length 0..room compared, as fractions, with the constant c (both read with zeros after them).

    private static (bool, GbnfNode?) Above(string c, bool inclusive, int room)
    {
        bool empty = inclusive ? c.All(d => d == '0') : false;
        if (room == 0)
        {
            return (empty, null);
        }
        char c0 = c.Length > 0 ? c[0] : '0';
        var options = new List<GbnfNode>();
        if (c0 < '9')
        {
            options.Add(Seq(Range((char)(c0 + 1), '9'), Repeat(Digit, 0, room - 1)));
        }
        AddFollow(options, c0, Above(c.Length > 0 ? c[1..] : "", inclusive, room - 1));
        return (empty, options.Count == 0 ? null : Alt(options));
    }

    private static (bool, GbnfNode?) Below(string c, bool inclusive, int room)
    {
        bool empty = inclusive || c.Any(d => d != '0');
        if (room == 0)
        {
            return (empty, null);
        }
        char c0 = c.Length > 0 ? c[0] : '0';
        var options = new List<GbnfNode>();
        if (c0 > '0')
        {
            options.Add(Seq(Range('0', (char)(c0 - 1)), Repeat(Digit, 0, room - 1)));
        }
        AddFollow(options, c0, Below(c.Length > 0 ? c[1..] : "", inclusive, room - 1));
        return (empty, options.Count == 0 ? null : Alt(options));
    }

    private static (bool, GbnfNode?) BetweenDigits(string a, bool aInclusive, string b, bool bInclusive, int room)
    {
        bool empty = (aInclusive ? a.All(d => d == '0') : false) && (bInclusive || b.Any(d => d != '0'));
        if (room == 0)
        {
            return (empty, null);
        }
        char a0 = a.Length > 0 ? a[0] : '0';
        char b0 = b.Length > 0 ? b[0] : '0';
        string aRest = a.Length > 0 ? a[1..] : "";
        string bRest = b.Length > 0 ? b[1..] : "";
        var options = new List<GbnfNode>();
        if (a0 == b0)
        {
            AddFollow(options, a0, BetweenDigits(aRest, aInclusive, bRest, bInclusive, room - 1));
        }
        else if (a0 < b0)
        {
            AddFollow(options, a0, Above(aRest, aInclusive, room - 1));
            if (a0 + 1 <= b0 - 1)
            {
                options.Add(Seq(Range((char)(a0 + 1), (char)(b0 - 1)), Repeat(Digit, 0, room - 1)));
            }
            AddFollow(options, b0, Below(bRest, bInclusive, room - 1));
        }
        return (empty, options.Count == 0 ? null : Alt(options));
    }

    /// <summary>The digit <paramref name="digit"/> followed by the strings of <paramref name="rest"/>, if there are any.</summary>
    private static void AddFollow(List<GbnfNode> options, char digit, (bool Empty, GbnfNode? NonEmpty) rest)
    {
        if (rest.Empty && rest.NonEmpty is not null)
        {
            options.Add(Seq(Lit(digit.ToString()), Optional(rest.NonEmpty)));
        }
        else if (rest.Empty)
        {
            options.Add(Lit(digit.ToString()));
        }
        else if (rest.NonEmpty is not null)
        {
            options.Add(Seq(Lit(digit.ToString()), rest.NonEmpty));
        }
    }

    private static GbnfNode Range(char from, char to) => from == to ? Lit(from.ToString()) : new GbnfCharClass([(from, to)]);

    private static GbnfNode IntegerDigits(long from, long to) => NumericRanges.Integers(from, to)!;
}
