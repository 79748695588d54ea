using System.Text;

namespace SlmCluster.StructuredOutput.Grammar;

/// <summary>A reference to a named rule.</summary>
internal sealed class GbnfRuleRef(string name) : GbnfNode
{
    public string Name { get; } = name;

    public override void Render(StringBuilder text) => text.Append(Name);
}
