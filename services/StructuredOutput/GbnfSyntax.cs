using System.Globalization;

namespace SlmCluster.StructuredOutput;

/// <summary>
/// Checks a caller's GBNF text before llama.cpp sees it. llama.cpp's parser is recursive and reads C strings, so
/// deep nesting can exhaust the native stack and a stray NUL cuts the grammar short; and its errors go to its log,
/// not to the caller. This reads the same language (rules <c>name ::= alternatives</c>, one per line; literals,
/// character classes, <c>.</c>, rule references, groups, <c>* + ? {m} {m,} {m,n}</c>, <c>#</c> comments) and
/// refuses, naming line and column, what llama.cpp would refuse to parse, rules that are used but not defined, a
/// missing <c>root</c>, and what is beyond the limits below. What passes is still handed to llama.cpp, which also
/// refuses left recursion.
/// </summary>
public sealed class GbnfSyntax
{
    /// <summary>Deepest nesting of parenthesised groups.</summary>
    public const int MaxNesting = 32;

    /// <summary>Most rules a grammar may define (llama.cpp checks them for left recursion recursively).</summary>
    public const int MaxRules = 4096;

    /// <summary>
    /// Most symbols llama.cpp may write out for repetitions: it copies a repeated literal or class once per count, so
    /// <c>"...long..."{2000}</c> would otherwise take gigabytes.
    /// </summary>
    public const int MaxExpandedSymbols = 200_000;

    private readonly string _text;
    private long _expanded;
    private int _itemCost;
    private readonly HashSet<string> _defined = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _used = new(StringComparer.Ordinal);
    private int _pos;
    private int _depth;

    private GbnfSyntax(string text) => _text = text;

    /// <summary>Null when <paramref name="grammar"/> is GBNF this product hands to llama.cpp; else what is wrong and where.</summary>
    public static string? Problem(string grammar)
    {
        ArgumentNullException.ThrowIfNull(grammar);
        int nul = grammar.IndexOf('\0', StringComparison.Ordinal);
        var syntax = new GbnfSyntax(grammar);
        if (nul >= 0)
        {
            return syntax.At(nul, "a NUL character is not allowed in a grammar");
        }

        try
        {
            syntax.Parse();
            return syntax.Undefined();
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }

    private void Parse()
    {
        Space(newlines: true);
        while (_pos < _text.Length)
        {
            Rule();
        }

        if (!_defined.Contains("root"))
        {
            throw new FormatException("the grammar has no 'root' rule, where generation starts");
        }
    }

    private string? Undefined()
    {
        foreach (var (name, position) in _used)
        {
            if (!_defined.Contains(name))
            {
                return At(position, $"rule '{name}' is used but never defined");
            }
        }

        return null;
    }

    private void Rule()
    {
        int start = _pos;
        string name = Name() ?? throw Error("expected a rule name");
        Space(newlines: false);
        if (string.CompareOrdinal(_text, _pos, "::=", 0, 3) != 0)
        {
            throw Error($"expected '::=' after the rule name '{name}'");
        }

        if (!_defined.Add(name))
        {
            // llama.cpp lets a later definition replace an earlier one silently; two definitions are a mistake.
            throw Failure(start, $"rule '{name}' is defined twice");
        }

        if (_defined.Count > MaxRules)
        {
            throw Failure(start, $"the grammar defines more than {MaxRules} rules");
        }

        _pos += 3;
        Space(newlines: true);
        Alternatives(nested: false);
        if (_pos < _text.Length && _text[_pos] == '\r')
        {
            _pos += _pos + 1 < _text.Length && _text[_pos + 1] == '\n' ? 2 : 1;
        }
        else if (_pos < _text.Length && _text[_pos] == '\n')
        {
            _pos++;
        }
        else if (_pos < _text.Length)
        {
            throw Error($"unexpected '{Printable(_text[_pos])}': expected the end of rule '{name}' (a new line)");
        }

        Space(newlines: true);
    }

    private void Alternatives(bool nested)
    {
        Sequence(nested);
        while (_pos < _text.Length && _text[_pos] == '|')
        {
            _pos++;
            Space(newlines: true);
            Sequence(nested);
        }
    }

    private void Sequence(bool nested)
    {
        bool hasItem = false;
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '"')
            {
                int start = _pos++;
                while (Current() != '"')
                {
                    Char("the string literal");
                }

                _pos++;
                hasItem = true;
                _itemCost = Math.Max(1, _pos - start - 2);
            }
            else if (c == '[')
            {
                int start = _pos++;
                if (Current() == '^')
                {
                    _pos++;
                }

                while (Current() != ']')
                {
                    Char("the character class");
                    if (Current() == '-' && Peek(1) is not ']' and not '\0')
                    {
                        _pos++;
                        Char("the character range");
                    }
                }

                _pos++;
                hasItem = true;
                _itemCost = Math.Max(1, _pos - start - 2);
            }
            else if (IsNameChar(c))
            {
                int start = _pos;
                string name = Name()!;
                _used.TryAdd(name, start);
                hasItem = true;
                _itemCost = 1;
            }
            else if (c == '(')
            {
                if (++_depth > MaxNesting)
                {
                    throw Error($"groups are nested more than {MaxNesting} deep");
                }

                _pos++;
                Space(newlines: true);
                Alternatives(nested: true);
                if (Current() != ')')
                {
                    throw Error("expected ')' to close the group");
                }

                _pos++;
                _depth--;
                hasItem = true;
                _itemCost = 1;
            }
            else if (c == '.')
            {
                _pos++;
                hasItem = true;
                _itemCost = 1;
            }
            else if (c is '*' or '+' or '?')
            {
                if (!hasItem)
                {
                    throw Error($"'{c}' has nothing before it to repeat");
                }

                // llama.cpp does not repeat a repetition: "a**" and "a*{2}" are refused.
                _pos++;
                hasItem = false;
            }
            else if (c == '{')
            {
                if (!hasItem)
                {
                    throw Error("'{' has nothing before it to repeat");
                }

                Repetition();
                hasItem = false;
            }
            else if (c == '<')
            {
                throw Error("token references ('<...>') are not supported; write the text as a string literal");
            }
            else
            {
                break;
            }

            Space(newlines: nested);
        }
    }

    /// <summary><c>{m}</c>, <c>{m,}</c> or <c>{m,n}</c>, with counts llama.cpp accepts.</summary>
    private void Repetition()
    {
        _pos++;
        Space(newlines: true);
        int min = Integer() ?? throw Error("expected a number after '{'");
        int? max = min;
        Space(newlines: true);
        if (Current() == ',')
        {
            _pos++;
            Space(newlines: true);
            max = Integer();
            Space(newlines: true);
        }

        if (Current() != '}')
        {
            throw Error("expected '}' to close the repetition count");
        }

        if (min > JsonSchemaGrammarOptions.MaxRepetitionCount || max > JsonSchemaGrammarOptions.MaxRepetitionCount)
        {
            throw Error($"a repetition count is more than {JsonSchemaGrammarOptions.MaxRepetitionCount}, the most llama.cpp accepts");
        }

        if (max < min)
        {
            throw Error($"the repetition {{{min},{max}}} has its maximum below its minimum");
        }

        _expanded += (long)_itemCost * Math.Max(1, max ?? min);
        if (_expanded > MaxExpandedSymbols)
        {
            throw Error($"the repetitions expand to more than {MaxExpandedSymbols} symbols; repeat a rule instead of a long literal, or repeat fewer times");
        }

        _pos++;
    }

    private int? Integer()
    {
        int start = _pos;
        while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
        {
            _pos++;
        }

        if (_pos == start)
        {
            return null;
        }

        // Anything past the limit is refused by the caller; a long run of digits must not overflow first.
        return _pos - start > 6 ? int.MaxValue : int.Parse(_text.AsSpan(start, _pos - start), CultureInfo.InvariantCulture);
    }

    /// <summary>One character of a literal or class: itself, or an escape llama.cpp knows.</summary>
    private void Char(string inside)
    {
        if (_pos >= _text.Length)
        {
            throw Error($"the grammar ends inside {inside}");
        }

        char c = _text[_pos];
        if (c != '\\')
        {
            _pos += char.IsHighSurrogate(c) && _pos + 1 < _text.Length && char.IsLowSurrogate(_text[_pos + 1]) ? 2 : 1;
            return;
        }

        char escape = Peek(1);
        int hex = escape switch
        {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            't' or 'r' or 'n' or '\\' or '"' or '[' or ']' => 0,
            '\0' => throw Error($"the grammar ends inside {inside}"),
            _ => throw Error($"unknown escape '\\{Printable(escape)}'"),
        };
        _pos += 2;
        if (hex == 0)
        {
            return;
        }

        int digits = 0;
        while (digits < hex && _pos < _text.Length && char.IsAsciiHexDigit(_text[_pos]))
        {
            _pos++;
            digits++;
        }

        if (digits < hex)
        {
            throw Error($"the escape '\\{escape}' needs {hex} hexadecimal digits");
        }

        if (hex == 8 && uint.Parse(_text.AsSpan(_pos - 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture) > 0x10FFFF)
        {
            throw Error("the escape '\\U' names no Unicode character (the largest is \\U0010FFFF)");
        }
    }

    private string? Name()
    {
        int start = _pos;
        while (_pos < _text.Length && IsNameChar(_text[_pos]))
        {
            _pos++;
        }

        return _pos == start ? null : _text[start.._pos];
    }

    /// <summary>Blanks and comments; line breaks too where a rule may continue on the next line.</summary>
    private void Space(bool newlines)
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c is ' ' or '\t' || newlines && c is '\r' or '\n')
            {
                _pos++;
            }
            else if (c == '#')
            {
                while (_pos < _text.Length && _text[_pos] is not '\r' and not '\n')
                {
                    _pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private char Current() => _pos < _text.Length ? _text[_pos] : '\0';

    private char Peek(int ahead) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '-';

    private static string Printable(char c) => char.IsControl(c) ? $"\\x{(int)c:X2}" : c.ToString();

    private FormatException Error(string what) => Failure(_pos, what);

    private FormatException Failure(int position, string what) => new(At(position, what));

    private string At(int position, string what)
    {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < position && i < _text.Length; i++)
        {
            if (_text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return $"{what} (line {line}, column {position - lineStart + 1})";
    }
}
