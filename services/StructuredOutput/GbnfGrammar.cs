namespace SlmCluster.StructuredOutput;

/// <summary>A GBNF grammar for llama.cpp's grammar sampler, whose start rule is <see cref="RootRule"/>.</summary>
/// <param name="Text">The grammar text, one rule a line.</param>
public sealed record GbnfGrammar(string Text)
{
    /// <summary>The name of the start rule (what <c>llama_sampler_init_grammar</c> is given as <c>grammar_root</c>).</summary>
    public string RootRule => "root";

    public override string ToString() => Text;
}
