namespace SlmCluster.StructuredOutput.Grammar;

/// <summary>
/// Which rules can match the empty string, which can complete at all, and whether a rule reaches itself at its
/// left edge (before a character is consumed): the properties llama.cpp's grammar sampler depends on.
/// </summary>
internal sealed class GbnfAnalysis
{
    private readonly Dictionary<string, GbnfNode> _rules;
    private readonly List<string> _names;
    private readonly HashSet<string> _nullable = new(StringComparer.Ordinal);
    private readonly HashSet<string> _productive = new(StringComparer.Ordinal);

    public GbnfAnalysis(Dictionary<string, GbnfNode> rules, List<string> names)
    {
        _rules = rules;
        _names = names;
        Fixpoint(_nullable, Nullable);
        Fixpoint(_productive, Productive);
    }

    public string? FirstUnproductive() => _names.FirstOrDefault(name => !_productive.Contains(name));

    /// <summary>A rule on a cycle of left-edge references, or null.</summary>
    public string? FirstLeftRecursive()
    {
        var edges = _names.ToDictionary(name => name, name => LeftReferences(_rules[name]).Distinct().ToList(), StringComparer.Ordinal);
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string start in _names)
        {
            if (state.ContainsKey(start))
            {
                continue;
            }
            // Iterative depth-first search: 1 = on the current path, 2 = done.
            var stack = new Stack<(string Name, int Next)>();
            stack.Push((start, 0));
            state[start] = 1;
            while (stack.Count > 0)
            {
                (string name, int next) = stack.Pop();
                List<string> targets = edges[name];
                if (next < targets.Count)
                {
                    stack.Push((name, next + 1));
                    string target = targets[next];
                    if (!state.TryGetValue(target, out int targetState))
                    {
                        state[target] = 1;
                        stack.Push((target, 0));
                    }
                    else if (targetState == 1)
                    {
                        return target;
                    }
                }
                else
                {
                    state[name] = 2;
                }
            }
        }
        return null;
    }

    private void Fixpoint(HashSet<string> set, Func<GbnfNode, bool> holds)
    {
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (string name in _names)
            {
                if (!set.Contains(name) && holds(_rules[name]))
                {
                    set.Add(name);
                    changed = true;
                }
            }
        }
    }

    private bool Nullable(GbnfNode node) => node switch
    {
        GbnfLiteral literal => literal.Value.Length == 0,
        GbnfCharClass => false,
        GbnfRuleRef reference => _nullable.Contains(reference.Name),
        GbnfSequence sequence => sequence.Items.All(Nullable),
        GbnfAlternatives alternatives => alternatives.Options.Any(Nullable),
        GbnfRepetition repetition => repetition.Min == 0 || Nullable(repetition.Item),
        _ => false,
    };

    private bool Productive(GbnfNode node) => node switch
    {
        GbnfLiteral or GbnfCharClass => true,
        GbnfRuleRef reference => _productive.Contains(reference.Name),
        GbnfSequence sequence => sequence.Items.All(Productive),
        GbnfAlternatives alternatives => alternatives.Options.Any(Productive),
        GbnfRepetition repetition => repetition.Min == 0 || Productive(repetition.Item),
        _ => false,
    };

    private IEnumerable<string> LeftReferences(GbnfNode node)
    {
        switch (node)
        {
            case GbnfRuleRef reference:
                yield return reference.Name;
                break;
            case GbnfSequence sequence:
                foreach (GbnfNode item in sequence.Items)
                {
                    foreach (string name in LeftReferences(item))
                    {
                        yield return name;
                    }
                    if (!Nullable(item))
                    {
                        break;
                    }
                }
                break;
            case GbnfAlternatives alternatives:
                foreach (GbnfNode option in alternatives.Options)
                {
                    foreach (string name in LeftReferences(option))
                    {
                        yield return name;
                    }
                }
                break;
            case GbnfRepetition repetition:
                foreach (string name in LeftReferences(repetition.Item))
                {
                    yield return name;
                }
                break;
        }
    }
}
