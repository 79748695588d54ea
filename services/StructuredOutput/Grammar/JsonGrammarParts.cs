using static SlmCluster.StructuredOutput.Grammar.GbnfNode;

namespace SlmCluster.StructuredOutput.Grammar;

/// <summary>
/// The building blocks every JSON grammar shares (whitespace, string characters, numbers, literals), each defined
/// once in the grammar being built.
/// </summary>
internal sealed class JsonGrammarParts(GbnfBuilder builder, JsonSchemaGrammarOptions options)
{
    private static readonly GbnfNode Digit = new GbnfCharClass([('0', '9')]);
    private static readonly GbnfNode NonZeroDigit = new GbnfCharClass([('1', '9')]);
    private static readonly GbnfNode Hex = new GbnfCharClass([('0', '9'), ('A', 'F'), ('a', 'f')]);

    private GbnfNode? _ws;
    private GbnfNode? _char;
    private GbnfNode? _number;
    private GbnfNode? _integer;
    private GbnfNode? _boolean;
    private readonly Dictionary<int, GbnfNode> _anyValue = [];

    /// <summary>Bounded whitespace between tokens: nothing, one space, or a line break and a few spaces or tabs.</summary>
    public GbnfNode Ws => _ws ??= builder.Define("ws", Alt([
        Empty,
        Lit(" "),
        Seq(Lit("\n"), Repeat(new GbnfCharClass([('\t', '\t'), (' ', ' ')]), 0, options.MaxIndentation)),
    ]));

    /// <summary>One character of a JSON string: unescaped, or an escape (never a lone surrogate, which .NET and others reject).</summary>
    public GbnfNode Char => _char ??= builder.Define("char", Alt([
        new GbnfCharClass(CharRanges.JsonStringSafe),
        Seq(Lit("\\"), Alt([
            new GbnfCharClass([('"', '"'), ('/', '/'), ('\\', '\\'), ('b', 'b'), ('f', 'f'), ('n', 'n'), ('r', 'r'), ('t', 't')]),
            Seq(Lit("u"), Alt([
                Seq(new GbnfCharClass([('0', '9'), ('A', 'C'), ('E', 'F'), ('a', 'c'), ('e', 'f')]), Hex, Hex, Hex),
                Seq(new GbnfCharClass([('D', 'D'), ('d', 'd')]), new GbnfCharClass([('0', '7')]), Hex, Hex),
            ])),
        ])),
    ]));

    public GbnfNode StringOfLength(int min, int max) =>
        builder.Define(max == options.UnboundedStringMaxLength && min == 0 ? "string" : $"string-{min}-{max}",
            Seq(Lit("\""), Repeat(Char, min, max), Lit("\"")));

    public GbnfNode AnyString => StringOfLength(0, options.UnboundedStringMaxLength);

    /// <summary>A JSON number with at most 16 integer digits, 16 fraction digits and a two-digit exponent (so every reader parses it as a finite double).</summary>
    public GbnfNode Number => _number ??= builder.Define("number", Seq(
        Optional(Lit("-")),
        Alt([Lit("0"), Seq(NonZeroDigit, Repeat(Digit, 0, 15))]),
        Optional(Seq(Lit("."), Repeat(Digit, 1, 16))),
        Optional(Seq(new GbnfCharClass([('E', 'E'), ('e', 'e')]), Optional(new GbnfCharClass([('+', '+'), ('-', '-')])), Repeat(Digit, 1, 2)))));

    /// <summary>A JSON integer of at most 15 digits (exact in a double).</summary>
    public GbnfNode Integer => _integer ??= builder.Define("integer", Seq(
        Optional(Lit("-")),
        Alt([Lit("0"), Seq(NonZeroDigit, Repeat(Digit, 0, 14))])));

    public GbnfNode Boolean => _boolean ??= builder.Define("boolean", Alt([Lit("true"), Lit("false")]));

    public static GbnfNode Null => Lit("null");

    /// <summary>Any JSON value whose arrays and objects nest at most <paramref name="depth"/> deep.</summary>
    public GbnfNode AnyValue(int depth)
    {
        if (_anyValue.TryGetValue(depth, out GbnfNode? existing))
        {
            return existing;
        }
        var options = new List<GbnfNode> { AnyString, Number, Boolean, Null };
        if (depth > 0)
        {
            options.Add(AnyObject(depth - 1));
            options.Add(AnyArray(depth - 1));
        }
        GbnfNode value = builder.Define($"value-{depth}", Alt(options));
        _anyValue[depth] = value;
        return value;
    }

    /// <summary>Any JSON object whose values nest at most <paramref name="depth"/> deep.</summary>
    public GbnfNode AnyObject(int depth)
    {
        GbnfNode member = Seq(AnyString, Ws, Lit(":"), Ws, AnyValue(depth), Ws);
        return builder.Define($"object-{depth}", Seq(Lit("{"), Ws,
            Optional(Seq(member, Repeat(Seq(Lit(","), Ws, member), 0, options.UnboundedArrayMaxItems - 1))),
            Lit("}")));
    }

    public GbnfNode AnyArray(int depth)
    {
        GbnfNode element = Seq(AnyValue(depth), Ws);
        return builder.Define($"array-{depth}", Seq(Lit("["), Ws,
            Optional(Seq(element, Repeat(Seq(Lit(","), Ws, element), 0, options.UnboundedArrayMaxItems - 1))),
            Lit("]")));
    }
}
