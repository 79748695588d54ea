using System.Text;

namespace SlmCluster.StructuredOutput.Grammar;

internal sealed class GbnfAlternatives(IReadOnlyList<GbnfNode> options) : GbnfNode
{
    public IReadOnlyList<GbnfNode> Options { get; } = options;

    public override void Render(StringBuilder text)
    {
        for (int i = 0; i < Options.Count; i++)
        {
            if (i > 0)
            {
                text.Append(" | ");
            }
            Options[i].Render(text);
        }
    }
}
