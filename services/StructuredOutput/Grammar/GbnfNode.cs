using System.Globalization;
using System.Text;

namespace SlmCluster.StructuredOutput.Grammar;

/// <summary>
/// One expression of a GBNF rule body. The converter builds these instead of text so that it can check, before
/// llama.cpp sees the grammar, that every rule can finish (a rule that cannot would make generation run to the token
/// limit) and that no rule reaches itself without consuming a character (llama.cpp refuses left recursion).
/// </summary>
internal abstract class GbnfNode
{
    public static readonly GbnfNode Empty = new GbnfLiteral("");

    public abstract void Render(StringBuilder text);

    public override string ToString()
    {
        var text = new StringBuilder();
        Render(text);
        return text.ToString();
    }

    public static GbnfNode Lit(string value) => value.Length == 0 ? Empty : new GbnfLiteral(value);

    public static GbnfNode Seq(params GbnfNode[] items) => Seq((IEnumerable<GbnfNode>)items);

    public static GbnfNode Seq(IEnumerable<GbnfNode> items)
    {
        var flat = new List<GbnfNode>();
        foreach (GbnfNode item in items)
        {
            if (item is GbnfSequence nested)
            {
                flat.AddRange(nested.Items);
            }
            else if (item is not GbnfLiteral { Value.Length: 0 })
            {
                flat.Add(item);
            }
        }
        return flat.Count switch
        {
            0 => Empty,
            1 => flat[0],
            _ => new GbnfSequence(flat),
        };
    }

    public static GbnfNode Alt(IEnumerable<GbnfNode> options)
    {
        var unique = new List<GbnfNode>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (GbnfNode option in options)
        {
            foreach (GbnfNode leaf in option is GbnfAlternatives nested ? nested.Options : [option])
            {
                if (seen.Add(leaf.ToString()))
                {
                    unique.Add(leaf);
                }
            }
        }
        return unique.Count == 1 ? unique[0] : new GbnfAlternatives(unique);
    }

    public static GbnfNode Optional(GbnfNode item) => Repeat(item, 0, 1);

    public static GbnfNode Repeat(GbnfNode item, int min, int max)
    {
        if (max == 0)
        {
            return Empty;
        }
        if (min == 1 && max == 1)
        {
            return item;
        }
        return new GbnfRepetition(item, min, max);
    }







    internal static void RenderGrouped(StringBuilder text, GbnfNode node, bool groupSequences)
    {
        bool group = node is GbnfAlternatives || node is GbnfRepetition && groupSequences || (groupSequences && node is GbnfSequence);
        if (group)
        {
            text.Append('(');
        }
        node.Render(text);
        if (group)
        {
            text.Append(')');
        }
    }

    internal static void AppendEscaped(StringBuilder text, int c)
    {
        string? named = c switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            _ => null,
        };
        if (named is not null)
        {
            text.Append(named);
        }
        else if (c <= 0xFF)
        {
            text.Append("\\x").Append(c.ToString("X2", CultureInfo.InvariantCulture));
        }
        else if (c <= 0xFFFF)
        {
            text.Append("\\u").Append(c.ToString("X4", CultureInfo.InvariantCulture));
        }
        else
        {
            text.Append("\\U").Append(c.ToString("X8", CultureInfo.InvariantCulture));
        }
    }
}
