using System.Text.Json;
using Json.Schema;
using SlmCluster.Inference;
using SlmCluster.StructuredOutput;
using SlmCluster.Testing;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

/// <summary>A request's GBNF grammar constrains what the engine generates for it, and only for it.</summary>
[Collection(BatchingEngineCollection.Name)]
public sealed class GrammarGenerationTests(BatchingEngineFixture fixture)
{
    private const string Sentence = "The cat sat on the mat.";

    private const string PersonSchema = """
        {
          "type": "object",
          "properties": {
            "name": { "type": "string", "maxLength": 12 },
            "age": { "type": "integer", "minimum": 0, "maximum": 120 },
            "pet": { "enum": ["cat", "dog", "fish"] },
            "tags": { "type": "array", "items": { "type": "string", "maxLength": 8 }, "maxItems": 3 }
          },
          "required": ["name", "age", "pet"]
        }
        """;

    private static string Literal(string text) => $"root ::= {JsonSerializer.Serialize(text)}";

    private static GenerationRequest Request(string prompt, string? grammar, float temperature = 0f, uint seed = 7, int maxTokens = 300) => new()
    {
        Prompt = prompt,
        Grammar = grammar,
        MaxTokens = maxTokens,
        Sampling = new SamplingOptions { Temperature = temperature, TopK = temperature == 0f ? 0 : 40, Seed = seed },
    };


    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    public async Task A_grammar_that_allows_only_a_fixed_string_makes_the_model_write_exactly_it(float temperature)
    {
        Generated generated = await Generated.CollectAsync(fixture.Engine, Request("Once upon a time", Literal(Sentence), temperature));

        Assert.Equal(Sentence, generated.Text);
        Assert.Equal(GenerationFinishReason.Stop, generated.Final.FinishReason);
    }

    [Fact]
    public async Task A_grammar_completed_by_the_last_token_max_tokens_allows_ends_with_stop()
    {
        Generated free = await Generated.CollectAsync(fixture.Engine, Request("Once upon a time", Literal(Sentence)));

        Generated exact = await Generated.CollectAsync(fixture.Engine, Request("Once upon a time", Literal(Sentence), maxTokens: free.Final.CompletionTokens));

        Assert.Equal(Sentence, exact.Text);
        Assert.Equal(GenerationFinishReason.Stop, exact.Final.FinishReason);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    public async Task A_JSON_schemas_grammar_gives_JSON_that_a_validator_we_did_not_write_accepts(float temperature)
    {
        string grammar = JsonSchemaGrammar.Convert(PersonSchema).Text;

        foreach (uint seed in new uint[] { 1, 2, 3 })
        {
            Generated generated = await Generated.CollectAsync(fixture.Engine, Request("Once upon a time", grammar, temperature, seed, maxTokens: 400));

            Assert.Equal(GenerationFinishReason.Stop, generated.Final.FinishReason);
            Assert.Null(SchemaValidator.Problem(PersonSchema, generated.Text));
        }
    }

    [Fact]
    public async Task A_grammar_the_models_tokens_cannot_follow_fails_that_request_with_a_clear_error_and_the_engine_goes_on()
    {
        // This model's vocabulary has no '{' and no byte tokens, so no JSON object can start.
        await using LlamaEngine engine = LlamaEngine.Start(
            new EngineOptions { ModelPath = TestModels.Find("tinystories-656k-q8_0.gguf"), Threads = 1, Slots = 2 }, fixture.LoggerFactory);

        InferenceException error = await Assert.ThrowsAsync<InferenceException>(() =>
            Generated.CollectAsync(engine, Request("Once upon a time", JsonSchemaGrammar.Convert(PersonSchema).Text)));

        Assert.Equal(InferenceErrorKind.InvalidArgument, error.Kind);
        Assert.StartsWith("the grammar allows no token after the 0 generated so far", error.Message);
        Assert.Equal(0, engine.ActiveSequences);
        Generated after = await Generated.CollectAsync(engine, Request("Once upon a time", Literal("The cat sat.")));
        Assert.Equal("The cat sat.", after.Text);
    }

    [Fact]
    public async Task Concurrent_requests_with_and_without_grammars_each_get_what_they_get_alone()
    {
        string schemaGrammar = JsonSchemaGrammar.Convert(PersonSchema).Text;
        GenerationRequest[] requests =
        [
            Request("Once upon a time", null, maxTokens: 40),
            Request("Once upon a time", Literal(Sentence)),
            Request("The little dog", null, maxTokens: 40),
            Request("The little dog", schemaGrammar),
            Request("Tom and Sue went", Literal("A red ball.")),
            Request("Tom and Sue went", null, maxTokens: 40),
            Request("One day, a bird", schemaGrammar),
            Request("One day, a bird", null, maxTokens: 40),
        ];
        var alone = new List<Generated>();
        foreach (GenerationRequest request in requests)
        {
            alone.Add(await fixture.GenerateAloneAsync(request));
        }

        Generated[] together = await Task.WhenAll(requests.Select(request => Task.Run(() => Generated.CollectAsync(fixture.Engine, request))));

        for (int i = 0; i < requests.Length; i++)
        {
            Assert.Equal(alone[i].Text, together[i].Text);
            Assert.Equal(alone[i].Final.FinishReason, together[i].Final.FinishReason);
        }
        Assert.Equal(Sentence, together[1].Text);
        Assert.Equal("A red ball.", together[4].Text);
        Assert.Null(SchemaValidator.Problem(PersonSchema, together[3].Text));
        Assert.Null(SchemaValidator.Problem(PersonSchema, together[6].Text));
        Assert.DoesNotContain('{', together[0].Text + together[2].Text + together[5].Text + together[7].Text);
    }

    [Theory]
    [InlineData("root ::= \"unclosed")]
    [InlineData("root ::= missing-rule")]
    [InlineData("start ::= \"a\"")]
    [InlineData("this is not a grammar")]
    public async Task A_malformed_grammar_is_refused_before_it_is_queued_and_the_engine_keeps_serving(string grammar)
    {
        InferenceException error = await Assert.ThrowsAsync<InferenceException>(async () =>
        {
            await foreach (GenerationUpdate _ in fixture.Engine.GenerateAsync(Request("Once upon a time", grammar)))
            {
            }
        });

        Assert.Equal(InferenceErrorKind.InvalidArgument, error.Kind);
        Assert.StartsWith("the grammar is not valid GBNF", error.Message);
        Assert.Equal(0, fixture.Engine.QueueDepth);
        Generated after = await Generated.CollectAsync(fixture.Engine, Request("Once upon a time", Literal(Sentence)));
        Assert.Equal(Sentence, after.Text);
    }

    [Fact]
    public async Task A_stop_string_inside_the_grammars_text_ends_the_answer_there()
    {
        GenerationRequest request = Request("Once upon a time", Literal(Sentence)) with { Stop = ["on the"] };

        Generated generated = await Generated.CollectAsync(fixture.Engine, request);

        Assert.Equal("The cat sat ", generated.Text);
        Assert.Equal(GenerationFinishReason.Stop, generated.Final.FinishReason);
    }
}
