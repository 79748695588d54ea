using System.Text;

namespace SlmCluster.Testing;

/// <summary>
/// Seeded random GBNF for fuzz tests: small grammars of every construct llama.cpp reads, then, most of the time, broken
/// the ways a hand-written grammar breaks (cut short, a character inserted or dropped, an unknown escape, a rule left
/// undefined, no root) or the ways a hostile one is built (groups nested deep, huge repetition counts, long literals
/// repeated, NUL, token references).
/// </summary>
internal sealed class RandomGrammars(int seed)
{
    private static readonly string[] Atoms = ["\"a\"", "\"yes\"", "\"\\n\"", "\"\\x41\"", "\"\\u00e9\"", "[a-z]", "[^\"\\\\]", "[0-9]", ".", "\"\\\"\""];
    private static readonly string[] Noise = ["(", ")", "\"", "[", "]", "|", "*", "+", "?", "{", "}", "::=", "\\", "\n", "#", "-", "<", ">", "\0", "\\q", "{2001}", "{3,1}"];

    private readonly Random _random = new(seed);

    public string Next()
    {
        string grammar = Grammar();
        return _random.Next(10) switch
        {
            < 3 => grammar,
            < 8 => Mutate(grammar),
            _ => Hostile(),
        };
    }

    private string Grammar()
    {
        int rules = _random.Next(1, 4);
        var text = new StringBuilder();
        for (int r = 0; r < rules; r++)
        {
            text.Append(r == 0 ? "root" : $"r{r}").Append(" ::= ").Append(Alternatives(r, rules, 0)).Append('\n');
        }
        return text.ToString();
    }

    private string Alternatives(int rule, int rules, int depth)
    {
        var parts = new List<string>();
        for (int i = _random.Next(1, 3); i > 0; i--)
        {
            parts.Add(Sequence(rule, rules, depth));
        }
        return string.Join(" | ", parts);
    }

    private string Sequence(int rule, int rules, int depth)
    {
        var items = new List<string>();
        for (int i = _random.Next(1, 4); i > 0; i--)
        {
            string item = _random.Next(5) switch
            {
                // A later rule only: no left recursion in the well-formed ones.
                0 when rule + 1 < rules => $"r{_random.Next(rule + 1, rules)}",
                1 when depth < 3 => $"({Alternatives(rule, rules, depth + 1)})",
                _ => Atoms[_random.Next(Atoms.Length)],
            };
            item += _random.Next(6) switch
            {
                0 => "*",
                1 => "+",
                2 => "?",
                3 => $"{{{_random.Next(0, 3)},{_random.Next(3, 6)}}}",
                _ => "",
            };
            items.Add(item);
        }
        return string.Join(" ", items);
    }

    private string Mutate(string grammar)
    {
        var text = new StringBuilder(grammar);
        for (int i = _random.Next(1, 4); i > 0 && text.Length > 0; i--)
        {
            int at = _random.Next(text.Length);
            switch (_random.Next(4))
            {
                case 0:
                    text.Length = at;
                    break;
                case 1:
                    text.Remove(at, 1);
                    break;
                case 2:
                    text.Insert(at, Noise[_random.Next(Noise.Length)]);
                    break;
                default:
                    text.Replace("root", _random.Next(2) == 0 ? "start" : "root ::= \"x\"\nroot");
                    break;
            }
        }
        return text.ToString();
    }

    private string Hostile() => _random.Next(6) switch
    {
        0 => "root ::= " + new string('(', 200 + _random.Next(5000)) + "\"a\"" + new string(')', 200),
        1 => $"root ::= \"a\"{{{_random.Next(2001, 100000)}}}",
        2 => "root ::= \"" + new string('x', 5000) + "\"{2000}",
        3 => "root ::= undefined-rule",
        4 => "root ::= <[42]>",
        _ => string.Concat(Enumerable.Range(0, 300).Select(i => $"r{i} ::= r{i + 1}\n")) + "root ::= r0\n",
    };
}
