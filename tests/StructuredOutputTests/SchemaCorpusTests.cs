using SlmCluster.StructuredOutput;
using SlmCluster.Testing;
using Xunit.Abstractions;

namespace SlmCluster.StructuredOutputTests;

/// <summary>
/// Every schema of the corpus (nested objects, arrays, enums, anyOf / oneOf, $ref, formats, patterns, bounds) turns
/// into a grammar llama.cpp accepts, and walks under that grammar over a real vocabulary end in JSON that a
/// validator we did not write (JsonSchema.Net) finds valid.
/// </summary>
public sealed class SchemaCorpusTests(ITestOutputHelper output)
{
    private const int WalksPerSchema = 8;
    private const int MaxTokens = 400;

    public static TheoryData<string> Schemas => [.. SchemaCorpus.Names];

    [Fact]
    public void The_corpus_holds_at_least_thirty_schemas() => Assert.True(SchemaCorpus.Names.Count() >= 30);

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Every_walk_under_the_schemas_grammar_ends_in_JSON_that_validates(string name)
    {
        string schema = SchemaCorpus.Text(name);
        GbnfGrammar grammar = JsonSchemaGrammar.Convert(schema);
        Assert.True(GrammarWalker.Loads(grammar.Text), $"llama.cpp refused the grammar of {name}:\n{grammar.Text}");

        var walker = new GrammarWalker(TestModel.Model);
        int ended = 0;
        for (int seed = 0; seed < WalksPerSchema; seed++)
        {
            // Even seeds favour closing tokens (every such walk must end); odd seeds are plain random and count when they end.
            bool favour = seed % 2 == 0;
            (string text, bool finished, int tokens) = walker.Walk(grammar.Text, seed, MaxTokens, favour);
            output.WriteLine($"{name} seed {seed}: {(finished ? "ended" : "cut")} after {tokens} tokens: {text.ReplaceLineEndings(" ")}");
            if (!finished)
            {
                Assert.False(favour, $"{name}, seed {seed}: a walk favouring closers did not end within {MaxTokens} tokens");
                continue;
            }
            ended++;
            Assert.True(SchemaValidator.Problem(schema, text) is null,
                $"{name}, seed {seed}: {SchemaValidator.Problem(schema, text)}\n{text}\n{grammar.Text}");
        }
        output.WriteLine($"{name}: {ended} of {WalksPerSchema} walks ended, all valid");
    }

    [Theory]
    [InlineData("03-nested-address")]
    [InlineData("09-recursive-tree")]
    [InlineData("10-formats")]
    [InlineData("21-extraction-invoice")]
    [InlineData("36-unicode-literals")]
    public void A_walk_over_the_benchmark_models_32000_token_vocabulary_ends_in_JSON_that_validates(string name)
    {
        string schema = SchemaCorpus.Text(name);
        GbnfGrammar grammar = JsonSchemaGrammar.Convert(schema);
        var started = System.Diagnostics.Stopwatch.StartNew();
        (string text, bool finished, int tokens) = new GrammarWalker(TestModel.Bench).Walk(grammar.Text, seed: 1, MaxTokens);
        output.WriteLine($"{name}: {(finished ? "ended" : "cut")} after {tokens} tokens in {started.ElapsedMilliseconds} ms: {text.ReplaceLineEndings(" ")}");
        Assert.True(finished, $"{name}: the walk did not end within {MaxTokens} tokens");
        Assert.True(SchemaValidator.Problem(schema, text) is null, $"{name}: {SchemaValidator.Problem(schema, text)}\n{text}");
    }
}
