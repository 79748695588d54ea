using SlmCluster.StructuredOutput;
using SlmCluster.Testing;
using Xunit.Abstractions;

namespace SlmCluster.StructuredOutputTests;

/// <summary>
/// The check a caller's raw GBNF passes before llama.cpp sees it: it reads every grammar our converter writes, refuses
/// malformed and hostile ones saying where, and whatever it lets through llama.cpp parses.
/// </summary>
public sealed class GbnfSyntaxTests(ITestOutputHelper output)
{
    public static TheoryData<string> Schemas => [.. SchemaCorpus.Names];

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Every_grammar_the_converter_writes_for_the_corpus_passes_the_check(string name)
    {
        Assert.Null(GbnfSyntax.Problem(JsonSchemaGrammar.Convert(SchemaCorpus.Text(name)).Text));
    }

    [Theory]
    [InlineData("root ::= \"a\" | [b-d]+ (\"e\" x)? .{2,3} # comment\nx ::= \"\\x41\\u00e9\\U0001F600\\n\\\"\"\n")]
    [InlineData("root ::= \"a\"\r\nx ::= \"b\"\r\n")]
    [InlineData("root ::= (\n  \"a\"\n  \"b\"\n)*")]
    [InlineData("root ::= ")]
    public void Well_formed_grammars_pass(string grammar)
    {
        Assert.Null(GbnfSyntax.Problem(grammar));
        Assert.True(GrammarWalker.Loads(grammar));
    }

    [Theory]
    [InlineData("root ::= \"unclosed", "ends inside the string literal")]
    [InlineData("root ::= [a-", "ends inside the character")]
    [InlineData("root ::= \"\\q\"", "unknown escape '\\q'")]
    [InlineData("root ::= \"\\x4\"", "needs 2 hexadecimal digits")]
    [InlineData("root = \"a\"", "expected '::='")]
    [InlineData("root ::= other", "rule 'other' is used but never defined (line 1, column 10)")]
    [InlineData("start ::= \"a\"", "no 'root' rule")]
    [InlineData("root ::= \"a\"\nroot ::= \"b\"", "defined twice (line 2, column 1)")]
    [InlineData("root ::= * \"a\"", "nothing before it to repeat")]
    [InlineData("root ::= \"a\"**", "nothing before it to repeat")]
    [InlineData("root ::=\n  \"a\"\n  | \"b\"", "expected a rule name (line 3, column 3)")]
    [InlineData("root ::= \"a\"{2001}", "more than 2000")]
    [InlineData("root ::= \"a\"{3,1}", "maximum below its minimum")]
    [InlineData("root ::= \"a\"{x}", "expected a number")]
    [InlineData("root ::= (\"a\"", "expected ')'")]
    [InlineData("root ::= \"a\" )", "expected the end of rule 'root'")]
    [InlineData("root ::= <[42]>", "token references")]
    [InlineData("root ::= \"a\0b\"", "NUL")]
    [InlineData("root ::= \"\\U00110000\"", "names no Unicode character")]
    public void A_malformed_grammar_is_refused_naming_the_problem(string grammar, string expected)
    {
        Assert.Contains(expected, GbnfSyntax.Problem(grammar));
    }

    [Fact]
    public void Hostile_grammars_are_refused_before_they_can_exhaust_llama_cpps_stack_or_memory()
    {
        Assert.Contains("nested more than", GbnfSyntax.Problem("root ::= " + new string('(', 100_000) + "\"a\"" + new string(')', 100_000)));
        Assert.Contains("expand to more than", GbnfSyntax.Problem("root ::= \"" + new string('x', 1000) + "\"{2000}"));
        Assert.Null(GbnfSyntax.Problem("root ::= " + new string('(', GbnfSyntax.MaxNesting) + "\"a\"" + new string(')', GbnfSyntax.MaxNesting)));
    }

    [Fact]
    public void Of_a_thousand_random_and_broken_grammars_every_one_the_check_passes_llama_cpp_parses()
    {
        var grammars = new RandomGrammars(seed: 20261207);
        int passed = 0;
        var failures = new List<string>();
        for (int i = 0; i < 1000; i++)
        {
            string grammar = grammars.Next();
            if (GbnfSyntax.Problem(grammar) is not null)
            {
                continue;
            }
            passed++;
            if (!GrammarWalker.Loads(grammar))
            {
                failures.Add($"#{i}: {grammar}");
            }
        }
        output.WriteLine($"{passed} of 1000 passed the check");

        Assert.True(passed > 100, $"only {passed} passed: the generator makes too few well-formed grammars to test anything");
        Assert.Empty(failures);
    }
}
