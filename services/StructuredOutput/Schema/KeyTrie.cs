namespace SlmCluster.StructuredOutput.Schema;

/// <summary>Property names by code point, for the grammar of keys that are none of them.</summary>
internal sealed class KeyTrie
{
    public Dictionary<int, KeyTrie> Children { get; } = [];

    /// <summary>Whether a name ends here.</summary>
    public bool Terminal { get; private set; }

    public void Add(string name)
    {
        KeyTrie node = this;
        foreach (System.Text.Rune rune in name.EnumerateRunes())
        {
            if (!node.Children.TryGetValue(rune.Value, out KeyTrie? child))
            {
                child = new KeyTrie();
                node.Children[rune.Value] = child;
            }
            node = child;
        }
        node.Terminal = true;
    }
}
