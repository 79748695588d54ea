using System.Text;

namespace SlmCluster.StructuredOutput;

/// <summary>
/// Renames every rule of a GBNF grammar, so that several grammars (a tool's arguments each) can be joined into one
/// without their rules colliding: in llama.cpp's GBNF every identifier outside a literal, a character class, a
/// repetition count or a comment is a rule name.
/// </summary>
public static class GbnfRuleNames
{
    /// <summary>
    /// <paramref name="grammar"/>'s rules with <paramref name="prefix"/> before each name; its start rule becomes
    /// <c>prefix + "root"</c>.
    /// </summary>
    /// <param name="prefix">Letters, digits and dashes, as GBNF names are.</param>
    public static string Prefixed(GbnfGrammar grammar, string prefix)
    {
        ArgumentNullException.ThrowIfNull(grammar);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (!prefix.All(IsNameChar))
        {
            throw new ArgumentException("A GBNF rule name has only letters, digits and dashes.", nameof(prefix));
        }

        string text = grammar.Text;
        var output = new StringBuilder(text.Length + 256);
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            switch (c)
            {
                case '"':
                    i = CopyQuoted(text, i, '"', output);
                    break;
                case '[':
                    i = CopyQuoted(text, i, ']', output);
                    break;
                case '{':
                    int close = text.IndexOf('}', i);
                    close = close < 0 ? text.Length - 1 : close;
                    output.Append(text, i, close - i + 1);
                    i = close + 1;
                    break;
                case '#':
                    int end = text.IndexOf('\n', i);
                    end = end < 0 ? text.Length : end;
                    output.Append(text, i, end - i);
                    i = end;
                    break;
                default:
                    if (IsNameChar(c))
                    {
                        int start = i;
                        while (i < text.Length && IsNameChar(text[i]))
                        {
                            i++;
                        }
                        output.Append(prefix).Append(text, start, i - start);
                    }
                    else
                    {
                        output.Append(c);
                        i++;
                    }
                    break;
            }
        }
        return output.ToString();
    }

    private static int CopyQuoted(string text, int start, char closing, StringBuilder output)
    {
        int i = start + 1;
        while (i < text.Length && text[i] != closing)
        {
            i += text[i] == '\\' ? 2 : 1;
        }
        int end = Math.Min(i, text.Length - 1);
        output.Append(text, start, end - start + 1);
        return end + 1;
    }

    private static bool IsNameChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-';
}
