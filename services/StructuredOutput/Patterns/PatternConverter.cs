using System.Globalization;
using System.Text;
using SlmCluster.StructuredOutput.Grammar;
using static SlmCluster.StructuredOutput.Grammar.GbnfNode;

namespace SlmCluster.StructuredOutput.Patterns;

/// <summary>
/// Turns an anchored regular expression (<c>^...$</c>) of a small subset into the grammar of a JSON string whose
/// value matches it: literals, classes (<c>[a-z]</c>, <c>[^...]</c>), <c>.</c>, escapes (<c>\d \w \s</c> and their
/// negations, <c>\t \n \r \f \v</c>, <c>\uXXXX</c>, <c>\xXX</c>, escaped punctuation), groups (also <c>(?:</c> and
/// named), alternation and the quantifiers <c>? * + {m} {m,} {m,n}</c> (a lazy <c>?</c> after them changes nothing
/// here). Characters a JSON string must escape are written as their escapes, so the string's value is what the regex
/// matched. <c>\d</c> and <c>\w</c> mean ASCII digits and word characters (a subset of .NET's Unicode classes).
/// A pattern's unbounded quantifiers (<c>* + {m,}</c>) share the unbounded-string cap: they stop at the largest count
/// that keeps the longest string the pattern can write within the cap, as a string with no <c>maxLength</c> is kept,
/// so that <c>\w+(\s\w+)*</c> ends within the cap instead of at cap x cap characters; only the pattern's own bounded
/// counts can take it further. Lookarounds, backreferences, word boundaries, inline flags, Unicode property classes
/// and anchors other than the outer ones are refused.
/// </summary>
internal sealed class PatternConverter
{
    private readonly string _pattern;
    private readonly string _path;
    private readonly int _cap;
    private int _pos;

    private PatternConverter(string pattern, string path, int cap)
    {
        _pattern = pattern;
        _path = path;
        _cap = cap;
    }

    /// <summary>The JSON string (with its quotes) whose value matches <paramref name="pattern"/>.</summary>
    /// <param name="unboundedCap">The most characters the pattern's unbounded quantifiers may bring the string to.</param>
    public static GbnfNode Convert(string pattern, string path, int unboundedCap)
    {
        if (!pattern.StartsWith('^') || !pattern.EndsWith('$') || pattern.Length < 2 || IsEscaped(pattern, pattern.Length - 1))
        {
            throw Refuse(path, "only anchored patterns are supported: start it with ^ and end it with $");
        }
        GbnfNode body = Body(pattern, path, unboundedCap);
        if (MaxLength(body) > unboundedCap)
        {
            // The largest count per unbounded quantifier that keeps the longest string within the cap (the length
            // grows with the count, so a binary search finds it); at least one, the pattern's minimum.
            int low = 1, high = unboundedCap;
            while (low < high)
            {
                int count = low + ((high - low + 1) / 2);
                if (MaxLength(Body(pattern, path, count)) <= unboundedCap)
                {
                    low = count;
                }
                else
                {
                    high = count - 1;
                }
            }
            body = Body(pattern, path, low);
        }
        return Seq(Lit("\""), body, Lit("\""));
    }

    private static GbnfNode Body(string pattern, string path, int cap)
    {
        var converter = new PatternConverter(pattern[1..^1], path, cap);
        GbnfNode body = converter.ParseAlternation();
        if (converter._pos < converter._pattern.Length)
        {
            throw converter.Fail($"unexpected '{converter._pattern[converter._pos]}'");
        }
        return body;
    }

    /// <summary>The most characters of JSON text <paramref name="node"/> can write (a class writes one; an escape counts as one).</summary>
    private static long MaxLength(GbnfNode node) => node switch
    {
        GbnfLiteral literal => literal.Value.Length,
        GbnfCharClass => 1,
        GbnfSequence sequence => Math.Min(Huge, sequence.Items.Sum(item => MaxLength(item))),
        GbnfAlternatives alternatives => alternatives.Options.Max(MaxLength),
        GbnfRepetition repetition => Math.Min(Huge, repetition.Max * MaxLength(repetition.Item)),
        _ => 1,
    };

    /// <summary>Where <see cref="MaxLength"/> stops counting: far beyond any cap, and safe to multiply by a repetition count.</summary>
    private const long Huge = 1L << 40;

    private static bool IsEscaped(string text, int index)
    {
        int backslashes = 0;
        for (int i = index - 1; i >= 0 && text[i] == '\\'; i--)
        {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }

    private GbnfNode ParseAlternation()
    {
        var options = new List<GbnfNode> { ParseConcatenation() };
        while (Peek() == '|')
        {
            _pos++;
            options.Add(ParseConcatenation());
        }
        return options.Count == 1 ? options[0] : Alt(options);
    }

    private GbnfNode ParseConcatenation()
    {
        var items = new List<GbnfNode>();
        while (_pos < _pattern.Length && Peek() is not '|' and not ')')
        {
            GbnfNode atom = ParseAtom();
            items.Add(ParseQuantifier(atom));
        }
        return Seq(items);
    }

    private GbnfNode ParseQuantifier(GbnfNode atom)
    {
        int min, max;
        switch (Peek())
        {
            case '?':
                _pos++;
                (min, max) = (0, 1);
                break;
            case '*':
                _pos++;
                (min, max) = (0, _cap);
                break;
            case '+':
                _pos++;
                (min, max) = (1, Math.Max(1, _cap));
                break;
            case '{' when TryParseBraces(out min, out int? braceMax):
                max = braceMax ?? Math.Max(min, _cap);
                break;
            default:
                return atom;
        }
        if (Peek() == '?')
        {
            _pos++; // lazy: the same set of strings
        }
        else if (Peek() == '+')
        {
            throw Fail("possessive quantifiers are not supported");
        }
        if (Peek() is '*' or '+' or '?' or '{')
        {
            throw Fail("a quantifier cannot follow another");
        }
        if (max > JsonSchemaGrammarOptions.MaxRepetitionCount || min > max)
        {
            throw Fail($"the repetition {{{min},{max}}} is over llama.cpp's grammar limit of {JsonSchemaGrammarOptions.MaxRepetitionCount} or inverted");
        }
        return Repeat(atom, min, max);
    }

    private bool TryParseBraces(out int min, out int? max)
    {
        min = 0;
        max = null;
        int start = _pos;
        int close = _pattern.IndexOf('}', start);
        if (close < 0)
        {
            throw Fail("'{' without a closing '}'");
        }
        string inner = _pattern[(start + 1)..close];
        string[] parts = inner.Split(',');
        if (parts.Length is < 1 or > 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out min))
        {
            throw Fail($"'{{{inner}}}' is not a repetition count");
        }
        if (parts.Length == 1)
        {
            max = min;
        }
        else if (parts[1].Length > 0)
        {
            if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int upper))
            {
                throw Fail($"'{{{inner}}}' is not a repetition count");
            }
            max = upper;
        }
        _pos = close + 1;
        return true;
    }

    private GbnfNode ParseAtom()
    {
        char c = _pattern[_pos];
        switch (c)
        {
            case '(':
                _pos++;
                if (Peek() == '?')
                {
                    string rest = _pattern[_pos..];
                    if (rest.StartsWith("?:", StringComparison.Ordinal))
                    {
                        _pos += 2;
                    }
                    else if (rest.StartsWith("?<", StringComparison.Ordinal) && !rest.StartsWith("?<=", StringComparison.Ordinal)
                             && !rest.StartsWith("?<!", StringComparison.Ordinal))
                    {
                        int end = _pattern.IndexOf('>', _pos);
                        if (end < 0)
                        {
                            throw Fail("unterminated group name");
                        }
                        _pos = end + 1;
                    }
                    else
                    {
                        throw Fail("lookarounds, inline flags and other '(?' groups are not supported");
                    }
                }
                GbnfNode inner = ParseAlternation();
                if (Peek() != ')')
                {
                    throw Fail("'(' without a closing ')'");
                }
                _pos++;
                return inner;
            case '[':
                return Chars(ParseClass());
            case '.':
                _pos++;
                return Chars(CharRanges.Complement([('\n', '\n')]));
            case '\\':
                return ParseEscapeAtom();
            case '^' or '$':
                throw Fail($"'{c}' is only supported as the pattern's outer anchor");
            case '*' or '+' or '?':
                throw Fail($"'{c}' has nothing to repeat");
            case '{':
                throw Fail("'{' has nothing to repeat");
            case ')':
                throw Fail("unbalanced ')'");
            default:
                {
                    int rune = char.ConvertToUtf32(_pattern, _pos);
                    _pos += char.IsSurrogatePair(_pattern, _pos) ? 2 : 1;
                    return Chars([(rune, rune)]);
                }
        }
    }

    private GbnfNode ParseEscapeAtom()
    {
        _pos++;
        if (_pos >= _pattern.Length)
        {
            throw Fail("a pattern cannot end with '\\'");
        }
        char e = _pattern[_pos];
        if (e is >= '1' and <= '9' || e == 'k')
        {
            throw Fail("backreferences are not supported");
        }
        if (e is 'b' or 'B' or 'A' or 'z' or 'Z' or 'G')
        {
            throw Fail($"the anchor '\\{e}' is not supported");
        }
        return Chars(ParseEscapeSet());
    }

    /// <summary>After a backslash (at <see cref="_pos"/>): the set of characters the escape stands for.</summary>
    private List<(int From, int To)> ParseEscapeSet()
    {
        char e = _pattern[_pos++];
        switch (e)
        {
            case 'd': return [('0', '9')];
            case 'D': return CharRanges.Complement([('0', '9')]);
            case 'w': return Word;
            case 'W': return CharRanges.Complement(Word);
            case 's': return Space;
            case 'S': return CharRanges.Complement(Space);
            case 't': return [('\t', '\t')];
            case 'n': return [('\n', '\n')];
            case 'r': return [('\r', '\r')];
            case 'f': return [('\f', '\f')];
            case 'v': return [('\v', '\v')];
            case '0': return [(0, 0)];
            case 'x': return [Hex(2)];
            case 'u': return [Hex(4)];
            case 'p' or 'P': throw Fail("Unicode property classes (\\p, \\P) are not supported");
            case 'c': throw Fail("control escapes (\\c) are not supported");
            default:
                if (char.IsAsciiLetterOrDigit(e))
                {
                    throw Fail($"the escape '\\{e}' is not supported");
                }
                return [(e, e)];
        }
    }

    private (int, int) Hex(int digits)
    {
        if (_pos + digits > _pattern.Length
            || !int.TryParse(_pattern.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value))
        {
            throw Fail($"a \\x or \\u escape needs {digits} hex digits");
        }
        _pos += digits;
        return (value, value);
    }

    private List<(int From, int To)> ParseClass()
    {
        _pos++; // '['
        bool negated = false;
        if (Peek() == '^')
        {
            negated = true;
            _pos++;
        }
        var ranges = new List<(int From, int To)>();
        bool first = true;
        while (true)
        {
            if (_pos >= _pattern.Length)
            {
                throw Fail("'[' without a closing ']'");
            }
            char c = _pattern[_pos];
            if (c == ']' && !first)
            {
                _pos++;
                break;
            }
            first = false;
            if (c == '[' && _pos + 1 < _pattern.Length && _pattern[_pos + 1] is ':' or '=' or '.')
            {
                throw Fail("POSIX classes ([:alpha:]) are not supported");
            }
            List<(int From, int To)> item = ClassItem(out int? single);
            if (single is int low && Peek() == '-' && _pos + 1 < _pattern.Length && _pattern[_pos + 1] != ']')
            {
                _pos++;
                ClassItem(out int? high);
                if (high is not int h || h < low)
                {
                    throw Fail("a character range needs single characters in order (a-z)");
                }
                ranges.Add((low, h));
            }
            else
            {
                ranges.AddRange(item);
            }
        }
        return negated ? CharRanges.Complement(ranges) : CharRanges.Normalize(ranges);
    }

    private List<(int From, int To)> ClassItem(out int? single)
    {
        single = null;
        if (_pattern[_pos] == '\\')
        {
            _pos++;
            if (_pos >= _pattern.Length)
            {
                throw Fail("a pattern cannot end with '\\'");
            }
            if (_pattern[_pos] == 'b')
            {
                _pos++;
                single = '\b';
                return [('\b', '\b')];
            }
            List<(int From, int To)> set = ParseEscapeSet();
            if (set.Count == 1 && set[0].From == set[0].To)
            {
                single = set[0].From;
            }
            return set;
        }
        int rune = char.ConvertToUtf32(_pattern, _pos);
        _pos += char.IsSurrogatePair(_pattern, _pos) ? 2 : 1;
        single = rune;
        return [(rune, rune)];
    }

    /// <summary>
    /// One character from <paramref name="set"/>, as it appears inside a JSON string: unescaped where JSON allows,
    /// else its escape. Surrogate code points (never a character) are left out.
    /// </summary>
    private GbnfNode Chars(List<(int From, int To)> set)
    {
        var options = new List<GbnfNode>();
        List<(int From, int To)> plain = CharRanges.Intersect(set, CharRanges.JsonStringSafe);
        if (plain.Count > 0)
        {
            options.Add(plain.Count == 1 && plain[0].From == plain[0].To
                ? Lit(char.ConvertFromUtf32(plain[0].From))
                : new GbnfCharClass(plain));
        }
        foreach (int c in EscapedChars)
        {
            if (CharRanges.Contains(set, c))
            {
                options.Add(Lit(JsonEscape(c)));
            }
        }
        if (options.Count == 0)
        {
            throw Fail("a character class that no JSON string character can match");
        }
        return Alt(options);
    }

    private static readonly int[] EscapedChars = [.. Enumerable.Range(0, 0x20), '"', '\\', 0x7F];

    private static string JsonEscape(int c) => c switch
    {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\b' => "\\b",
        '\f' => "\\f",
        _ => "\\u" + c.ToString("x4", CultureInfo.InvariantCulture),
    };

    private static readonly List<(int From, int To)> Word = [('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];

    private static readonly List<(int From, int To)> Space = [('\t', '\r'), (' ', ' ')];

    private char Peek() => _pos < _pattern.Length ? _pattern[_pos] : '\0';

    private SchemaNotSupportedException Fail(string reason) =>
        Refuse(_path, $"{reason} (at character {_pos + 1} of the pattern {Quote(_pattern)})");

    private static SchemaNotSupportedException Refuse(string path, string reason) => new("pattern", path, reason);

    private static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        quoted.Append(text.Length > 80 ? text[..80] + "..." : text);
        return quoted.Append('"').ToString();
    }
}
