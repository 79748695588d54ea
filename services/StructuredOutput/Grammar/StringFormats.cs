using static SlmCluster.StructuredOutput.Grammar.GbnfNode;

namespace SlmCluster.StructuredOutput.Grammar;

/// <summary>
/// The string formats the converter enforces, as RFC 3339 (date, time, date-time) and RFC 4122 (uuid) define them.
/// Only real calendar dates are produced: each month has its own last day, and February stops at the 28th (the 29th
/// would need the year's leap rule), years run 1000-9999, times carry an offset (Z or ±hh:mm up to 13:59) and at most
/// six fraction digits, which every common parser reads.
/// </summary>
internal static class StringFormats
{
    public static readonly IReadOnlyList<string> Supported = ["date", "time", "date-time", "uuid"];

    private static readonly GbnfNode Digit = new GbnfCharClass([('0', '9')]);
    private static readonly GbnfNode Hex = new GbnfCharClass([('0', '9'), ('a', 'f'), ('A', 'F')]);

    /// <summary>The JSON string (quotes included) of <paramref name="format"/>, or null when it is not supported.</summary>
    public static GbnfNode? For(string format, GbnfBuilder builder) => format switch
    {
        "date" => builder.Define("date-string", Seq(Lit("\""), Date(builder), Lit("\""))),
        "time" => builder.Define("time-string", Seq(Lit("\""), Time(builder), Lit("\""))),
        "date-time" => builder.Define("date-time-string", Seq(Lit("\""), Date(builder), Lit("T"), Time(builder), Lit("\""))),
        "uuid" => builder.Define("uuid-string", Seq(Lit("\""), Repeat(Hex, 8, 8), Lit("-"), Repeat(Hex, 4, 4), Lit("-"),
            Repeat(Hex, 4, 4), Lit("-"), Repeat(Hex, 4, 4), Lit("-"), Repeat(Hex, 12, 12), Lit("\""))),
        _ => null,
    };

    private static GbnfNode Date(GbnfBuilder builder)
    {
        GbnfNode day28 = Alt([Seq(Lit("0"), new GbnfCharClass([('1', '9')])), Seq(Lit("1"), Digit), Seq(Lit("2"), new GbnfCharClass([('0', '8')]))]);
        GbnfNode day30 = Alt([Seq(Lit("0"), new GbnfCharClass([('1', '9')])), Seq(new GbnfCharClass([('1', '2')]), Digit), Lit("30")]);
        GbnfNode day31 = Alt([Seq(Lit("0"), new GbnfCharClass([('1', '9')])), Seq(new GbnfCharClass([('1', '2')]), Digit), Seq(Lit("3"), new GbnfCharClass([('0', '1')]))]);
        return builder.Define("date", Seq(
            new GbnfCharClass([('1', '9')]), Repeat(Digit, 3, 3), Lit("-"),
            Alt([
                Seq(Alt([Lit("01"), Lit("03"), Lit("05"), Lit("07"), Lit("08"), Lit("10"), Lit("12")]), Lit("-"), day31),
                Seq(Alt([Lit("04"), Lit("06"), Lit("09"), Lit("11")]), Lit("-"), day30),
                Seq(Lit("02-"), day28),
            ])));
    }

    private static GbnfNode Time(GbnfBuilder builder)
    {
        GbnfNode hour = Alt([Seq(new GbnfCharClass([('0', '1')]), Digit), Seq(Lit("2"), new GbnfCharClass([('0', '3')]))]);
        GbnfNode sixty = Seq(new GbnfCharClass([('0', '5')]), Digit);
        GbnfNode offsetHour = Alt([Seq(Lit("0"), Digit), Seq(Lit("1"), new GbnfCharClass([('0', '3')]))]);
        return builder.Define("time", Seq(
            hour, Lit(":"), sixty, Lit(":"), sixty,
            Optional(Seq(Lit("."), Repeat(Digit, 1, 6))),
            Alt([Lit("Z"), Seq(new GbnfCharClass([('+', '+'), ('-', '-')]), offsetHour, Lit(":"), sixty)])));
    }
}
