using System.Text;

namespace SlmCluster.StructuredOutput.Grammar;

internal sealed class GbnfSequence(IReadOnlyList<GbnfNode> items) : GbnfNode
{
    public IReadOnlyList<GbnfNode> Items { get; } = items;

    public override void Render(StringBuilder text)
    {
        for (int i = 0; i < Items.Count; i++)
        {
            if (i > 0)
            {
                text.Append(' ');
            }
            RenderGrouped(text, Items[i], groupSequences: false);
        }
    }
}
