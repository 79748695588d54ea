using System.Text;

namespace SlmCluster.StructuredOutput.Grammar;

/// <summary>A quoted string of characters, matched exactly.</summary>
internal sealed class GbnfLiteral(string value) : GbnfNode
{
    public string Value { get; } = value;

    public override void Render(StringBuilder text)
    {
        text.Append('"');
        foreach (Rune rune in Value.EnumerateRunes())
        {
            int c = rune.Value;
            if (c is >= 0x20 and < 0x7F && c != '"' && c != '\\')
            {
                text.Append((char)c);
            }
            else
            {
                AppendEscaped(text, c);
            }
        }
        text.Append('"');
    }
}
