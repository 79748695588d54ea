using System.Text;

namespace SlmCluster.StructuredOutput.Grammar;

/// <summary>A set of code points, written as positive ranges (<c>[a-z0-9]</c>).</summary>
internal sealed class GbnfCharClass(IReadOnlyList<(int From, int To)> ranges) : GbnfNode
{
    public IReadOnlyList<(int From, int To)> Ranges { get; } = ranges;

    public override void Render(StringBuilder text)
    {
        text.Append('[');
        foreach ((int from, int to) in Ranges)
        {
            AppendClassChar(text, from);
            if (to != from)
            {
                text.Append('-');
                AppendClassChar(text, to);
            }
        }
        text.Append(']');
    }

    private static void AppendClassChar(StringBuilder text, int c)
    {
        if (c is >= '0' and <= '9' or >= 'a' and <= 'z' or >= 'A' and <= 'Z')
        {
            text.Append((char)c);
        }
        else
        {
            AppendEscaped(text, c);
        }
    }
}
