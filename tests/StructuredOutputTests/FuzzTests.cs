using SlmCluster.StructuredOutput;
using SlmCluster.Testing;
using Xunit.Abstractions;

namespace SlmCluster.StructuredOutputTests;

/// <summary>
/// A thousand random and malformed schemas: the converter either refuses one with a <see cref="SchemaNotSupportedException"/>
/// or writes a grammar that llama.cpp accepts, and a walk under that grammar that ends is valid against the schema.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Random_and_malformed_schemas_are_refused_or_give_grammars_llama_cpp_accepts_and_that_validate()
    {
        var schemas = new RandomSchemas(seed: 20261207);
        var walker = new GrammarWalker(TestModel.Model);
        int refused = 0, converted = 0, walked = 0, unvalidated = 0;
        var failures = new List<string>();
        for (int i = 0; i < 1000; i++)
        {
            string schema = schemas.Next();
            GbnfGrammar grammar;
            try
            {
                grammar = JsonSchemaGrammar.Convert(schema);
            }
            catch (SchemaNotSupportedException)
            {
                refused++;
                continue;
            }
            catch (Exception e)
            {
                failures.Add($"#{i} threw {e.GetType().Name}: {e.Message}\n{schema}");
                continue;
            }
            converted++;
            if (!GrammarWalker.Loads(grammar.Text))
            {
                failures.Add($"#{i}: llama.cpp refused the grammar\n{schema}\n{grammar.Text}");
                continue;
            }
            (string text, bool ended, _) = walker.Walk(grammar.Text, i, 300);
            if (ended)
            {
                walked++;
                string? problem = SchemaValidator.Problem(schema, text);
                if (problem?.StartsWith(SchemaValidator.RefusedSchema, StringComparison.Ordinal) == true)
                {
                    // Invalid somewhere the converter never looks (an unreferenced $defs entry): nothing to validate against.
                    unvalidated++;
                }
                else if (problem is not null)
                {
                    failures.Add($"#{i}: {problem}\n{schema}\n{text}");
                }
            }
        }
        output.WriteLine($"{refused} refused, {converted} converted, {walked} walks ended ({unvalidated} of them under a schema JsonSchema.Net refuses), the rest valid");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(5)) + $"\n({failures.Count} failures)");
        Assert.True(refused > 100 && converted > 100, $"{refused} refused, {converted} converted: the fuzz schemas should exercise both");
    }
}
