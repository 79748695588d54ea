using System.Text;

namespace SlmCluster.StructuredOutput.Grammar;

/// <summary>
/// Collects named rules, shares rules whose bodies are equal, and writes the grammar once it has checked what
/// llama.cpp would refuse or could not finish: rules that reach themselves before consuming a character (left
/// recursion), rules that cannot complete, repetition counts over its parser's limit and a grammar over the size limit.
/// </summary>
internal sealed class GbnfBuilder(JsonSchemaGrammarOptions options)
{
    private readonly Dictionary<string, GbnfNode?> _rules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _byBody = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>A rule with this body (an existing one when the body is the same); returns a reference to it.</summary>
    public GbnfNode Define(string nameHint, GbnfNode body)
    {
        if (body is GbnfRuleRef)
        {
            return body;
        }
        string key = body.ToString();
        if (_byBody.TryGetValue(key, out string? existing))
        {
            return new GbnfRuleRef(existing);
        }
        string name = Reserve(nameHint);
        Set(name, body);
        return new GbnfRuleRef(name);
    }

    /// <summary>A fresh rule name whose body comes later (<see cref="Set"/>): for recursive references.</summary>
    public string Reserve(string nameHint)
    {
        string baseName = Sanitize(nameHint);
        string name = baseName;
        for (int i = 1; _rules.ContainsKey(name) || name == "root"; i++)
        {
            name = baseName + "-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        _rules[name] = null;
        _order.Add(name);
        return name;
    }

    public void Set(string name, GbnfNode body)
    {
        _rules[name] = body;
        _byBody.TryAdd(body.ToString(), name);
    }

    /// <summary>The grammar with <c>root ::= <paramref name="root"/></c>, after the checks.</summary>
    public string Build(GbnfNode root, string path)
    {
        root = Hoist(root);
        for (int i = 0; i < _order.Count; i++)
        {
            string name = _order[i];
            _rules[name] = Hoist(_rules[name] ?? throw new InvalidOperationException($"Rule {name} was reserved but never defined."));
        }
        var rules = new Dictionary<string, GbnfNode>(StringComparer.Ordinal);
        foreach ((string name, GbnfNode? body) in _rules)
        {
            rules[name] = body ?? throw new InvalidOperationException($"Rule {name} was reserved but never defined.");
        }
        rules["root"] = root;

        var reachable = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { "root" };
        var pending = new Stack<string>();
        pending.Push("root");
        while (pending.Count > 0)
        {
            string name = pending.Pop();
            reachable.Add(name);
            foreach (string referenced in References(rules[name]))
            {
                if (seen.Add(referenced))
                {
                    pending.Push(referenced);
                }
            }
        }

        CheckRepetitions(reachable, rules, path);
        var analysis = new GbnfAnalysis(rules, reachable);
        if (analysis.FirstUnproductive() is string stuck)
        {
            throw new SchemaNotSupportedException("$ref", path,
                $"the schema admits no finite JSON value (rule {stuck} can never be completed, e.g. a required property that refers back to its own object)");
        }
        if (analysis.FirstLeftRecursive() is string cycle)
        {
            throw new SchemaNotSupportedException("$ref", path,
                $"the schema refers back to itself before any JSON is written (rule {cycle}), e.g. a $ref or anyOf that leads to itself");
        }

        var text = new StringBuilder();
        text.Append("root ::= ");
        root.Render(text);
        text.Append('\n');
        foreach (string name in _order)
        {
            if (seen.Contains(name))
            {
                text.Append(name).Append(" ::= ");
                rules[name].Render(text);
                text.Append('\n');
            }
        }
        if (text.Length > options.MaxGrammarLength)
        {
            throw new SchemaNotSupportedException("", path,
                $"the grammar for this schema would be {text.Length} characters, over the limit of {options.MaxGrammarLength}");
        }
        return text.ToString();
    }

    /// <summary>
    /// Gives every repeated group a rule of its own: llama.cpp refuses a repetition when the rules it generates for the
    /// repeated item times the count reach 2000, and a reference to a named rule generates none.
    /// </summary>
    private GbnfNode Hoist(GbnfNode node) => node switch
    {
        GbnfSequence sequence => GbnfNode.Seq(sequence.Items.Select(Hoist).ToList()),
        GbnfAlternatives alternatives => GbnfNode.Alt(alternatives.Options.Select(Hoist).ToList()),
        GbnfRepetition { Item: GbnfLiteral or GbnfCharClass or GbnfRuleRef } => node,
        GbnfRepetition repetition => new GbnfRepetition(Define("repeated", Hoist(repetition.Item)), repetition.Min, repetition.Max),
        _ => node,
    };

    private void CheckRepetitions(List<string> reachable, Dictionary<string, GbnfNode> rules, string path)
    {
        long expanded = 0;
        foreach (string name in reachable)
        {
            Walk(rules[name]);
        }
        if (expanded > options.MaxExpandedRepetitions)
        {
            throw new SchemaNotSupportedException("", path,
                $"the grammar's repetitions (maxLength, maxItems and the like) add up to {expanded} expanded rules, over the limit of {options.MaxExpandedRepetitions}");
        }

        void Walk(GbnfNode node)
        {
            switch (node)
            {
                case GbnfSequence sequence:
                    foreach (GbnfNode item in sequence.Items)
                    {
                        Walk(item);
                    }
                    break;
                case GbnfAlternatives alternatives:
                    foreach (GbnfNode option in alternatives.Options)
                    {
                        Walk(option);
                    }
                    break;
                case GbnfRepetition repetition:
                    if (repetition.Max > JsonSchemaGrammarOptions.MaxRepetitionCount)
                    {
                        throw new SchemaNotSupportedException("", path,
                            $"a repetition of {repetition.Max} is over llama.cpp's grammar limit of {JsonSchemaGrammarOptions.MaxRepetitionCount}");
                    }
                    expanded += repetition.Max;
                    Walk(repetition.Item);
                    break;
            }
        }
    }

    internal static IEnumerable<string> References(GbnfNode node)
    {
        switch (node)
        {
            case GbnfRuleRef reference:
                yield return reference.Name;
                break;
            case GbnfSequence sequence:
                foreach (GbnfNode item in sequence.Items)
                {
                    foreach (string name in References(item))
                    {
                        yield return name;
                    }
                }
                break;
            case GbnfAlternatives alternatives:
                foreach (GbnfNode option in alternatives.Options)
                {
                    foreach (string name in References(option))
                    {
                        yield return name;
                    }
                }
                break;
            case GbnfRepetition repetition:
                foreach (string name in References(repetition.Item))
                {
                    yield return name;
                }
                break;
        }
    }

    private static string Sanitize(string hint)
    {
        var name = new StringBuilder();
        foreach (char c in hint)
        {
            if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9')
            {
                name.Append(c);
            }
            else if (name.Length > 0 && name[^1] != '-')
            {
                name.Append('-');
            }
            if (name.Length >= 40)
            {
                break;
            }
        }
        string result = name.ToString().Trim('-');
        return result.Length == 0 ? "r" : result;
    }
}
