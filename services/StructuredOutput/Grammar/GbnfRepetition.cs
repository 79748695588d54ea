using System.Globalization;
using System.Text;

namespace SlmCluster.StructuredOutput.Grammar;

/// <summary><c>item{min,max}</c>; <c>?</c> when it is <c>{0,1}</c>.</summary>
internal sealed class GbnfRepetition(GbnfNode item, int min, int max) : GbnfNode
{
    public GbnfNode Item { get; } = item;

    public int Min { get; } = min;

    public int Max { get; } = max;

    public override void Render(StringBuilder text)
    {
        RenderGrouped(text, Item, groupSequences: true);
        if (Min == 0 && Max == 1)
        {
            text.Append('?');
        }
        else if (Min == Max)
        {
            text.Append('{').Append(Min.ToString(CultureInfo.InvariantCulture)).Append('}');
        }
        else
        {
            text.Append('{').Append(Min.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(Max.ToString(CultureInfo.InvariantCulture)).Append('}');
        }
    }
}
