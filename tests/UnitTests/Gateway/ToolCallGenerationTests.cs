using SlmCluster.Client;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Serving.Tools;
using SlmCluster.Inference;
using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using SlmCluster.UnitTests.Inference;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>
/// The tool grammar on a real model: llama.cpp takes it, and what the model writes under it reads as calls whose
/// arguments validate against the tool's parameters (the story model cannot follow the prompt, so only the shape is
/// asked of it).
/// </summary>
[Collection(BatchingEngineCollection.Name)]
public sealed class ToolCallGenerationTests(BatchingEngineFixture fixture)
{
    [Theory]
    [InlineData(ToolCallFormats.Hermes, ToolChoiceKind.Required, 0f, 1u)]
    [InlineData(ToolCallFormats.Hermes, ToolChoiceKind.Named, 1f, 2u)]
    [InlineData(ToolCallFormats.Json, ToolChoiceKind.Required, 1f, 3u)]
    [InlineData(ToolCallFormats.Json, ToolChoiceKind.Named, 0f, 4u)]
    public async Task A_forced_call_is_a_valid_call_of_an_offered_tool(string format, ToolChoiceKind mode, float temperature, uint seed)
    {
        var tools = ToolCallRulesTests.Weather(mode, mode == ToolChoiceKind.Named ? "get_weather" : null, parallel: true);
        var (request, reader) = new ToolCallRules().Apply(ToolCallRulesTests.Chat(tools, new ChatTurnMessage("user", "What is the weather in Paris?")), format);

        var chunks = await GenerateAsync(request.Call, temperature, seed);
        var read = new List<GenerateChunk>();
        await foreach (var chunk in reader!.ReadAsync(chunks.ToAsyncEnumerable()))
        {
            read.Add(chunk);
        }

        var calls = new ToolCallPieces();
        calls.Add(read.SelectMany(c => c.ToolCalls));
        Assert.Equal(FinishReason.ToolCalls, read[^1].FinishReason);
        Assert.InRange(calls.Calls.Count, 1, ToolCallRules.MaxParallelCalls);
        Assert.All(calls.Calls, call =>
        {
            Assert.Equal("get_weather", call.Name);
            Assert.Null(SchemaValidator.Problem(ToolCallRulesTests.WeatherParameters, call.Arguments));
        });
    }

    private async Task<List<GenerateChunk>> GenerateAsync(GenerationCall call, float temperature, uint seed)
    {
        var generated = await Generated.CollectAsync(fixture.Engine, new GenerationRequest
        {
            Messages = [.. call.Messages!.Select(m => new ChatTurn(m.Role, m.Content))],
            Grammar = call.Grammar,
            MaxTokens = 400,
            Sampling = new SamplingOptions { Temperature = temperature, TopK = temperature == 0f ? 0 : 40, Seed = seed },
        });
        return
        [
            new GenerateChunk { Text = generated.Text },
            new GenerateChunk
            {
                FinishReason = generated.Final.FinishReason == GenerationFinishReason.Stop ? FinishReason.Stop : FinishReason.Length,
                Usage = new Usage { CompletionTokens = generated.Final.CompletionTokens },
            },
        ];
    }
}
