using System.Buffers;
using System.Text;
using System.Text.Json;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Api.Ollama;
using SlmCluster.Gateway.Serving.Tools;
using SlmCluster.Inference;
using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using SlmCluster.UnitTests.Inference;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>
/// The Ollama API's tool calls: <c>tools</c> and earlier calls and results read into the shared tool request, and
/// calls a real model wrote under the tools' grammar written in Ollama's shape (arguments an object). Ollama has no
/// tool choice, and the story model never chooses a call by itself, so the calls are forced here with the rules'
/// required choice; what the writer gets is the same either way.
/// </summary>
[Collection(BatchingEngineCollection.Name)]
public sealed class OllamaToolCallTests(BatchingEngineFixture fixture)
{
    private static readonly string Tools = $$$"""[{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city.", "parameters": {{{ToolCallRulesTests.WeatherParameters}}}}}]""";

    private static OllamaChatRequest Chat(string messages, string? tools = null) =>
        JsonSerializer.Deserialize($$"""{"model": "stories260K", "messages": {{messages}}, "tools": {{tools ?? Tools}}}""", OllamaJsonContext.Api.OllamaChatRequest)!;

    [Fact]
    public void Tools_are_offered_for_the_model_to_choose_and_a_history_without_ids_pairs_each_result_with_its_call()
    {
        var mapped = OllamaRequestMapper.ToServingRequest(Chat("""
            [{"role": "user", "content": "Weather in Paris and Rome?"},
             {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}},
                                                                {"function": {"name": "get_weather", "arguments": {"city": "Rome", "unit": "c"}}}]},
             {"role": "tool", "tool_name": "get_weather", "content": "{\"temp\": 21}"},
             {"role": "tool", "content": "{\"temp\": 25}"},
             {"role": "user", "content": "Thanks!"}]
            """));

        var request = mapped.Request!;
        Assert.Equal(ToolChoiceKind.Auto, request.Tools!.Mode);
        Assert.True(request.Tools.Parallel);
        Assert.Equal("get_weather", Assert.Single(request.Tools.Tools).Name);
        var turns = request.ToolTurns!;
        Assert.Equal(["call_1_0", "call_1_1"], turns[1]!.Calls.Select(c => c.Id));
        Assert.Equal("""{"city": "Paris", "unit": "c"}""", turns[1]!.Calls[0].Arguments);
        Assert.Equal("call_1_0", turns[2]!.ToolCallId);
        Assert.Equal("call_1_1", turns[3]!.ToolCallId);

        var (rendered, reader) = new ToolCallRules().Apply(request, ToolCallFormats.Json);
        var messages = rendered.Call.Messages!;
        Assert.NotNull(reader);
        Assert.False(reader.CallsOnly);
        Assert.Equal("""{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}, {"name": "get_weather", "arguments": {"city": "Rome", "unit": "c"}}]}""",
            messages.Single(m => m.Role == "assistant").Content);
        Assert.Contains(messages, m => m.Content == "Result of get_weather (call call_1_0):\n{\"temp\": 21}\nResult of get_weather (call call_1_1):\n{\"temp\": 25}");
    }

    [Theory]
    [InlineData("""[{"role": "user", "content": "Hi"}]""", """{"type": "function"}""", "'tools' must be an array")]
    [InlineData("""[{"role": "user", "content": "Hi"}]""", """[{"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}]""", "tools[0].function.parameters")]
    [InlineData("""[{"role": "user", "content": "Hi", "tool_calls": [{"function": {"name": "f", "arguments": {}}}]}]""", null, "only assistant turns make calls")]
    [InlineData("""[{"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "f", "arguments": [1]}}]}]""", null, "messages[0].tool_calls[0].function.arguments' must be an object")]
    public void A_malformed_tool_or_call_is_refused_naming_it(string messages, string? tools, string says)
    {
        var refused = Assert.ThrowsAny<Exception>(() => OllamaRequestMapper.ToServingRequest(Chat(messages, tools)));

        Assert.NotNull(OllamaProblem.Of(refused));
        Assert.Equal(400, OllamaProblem.Of(refused)!.Status);
        Assert.Contains(says, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calls_a_model_wrote_are_streamed_whole_each_in_its_line_with_object_arguments_and_written_in_the_whole_answer()
    {
        var request = OllamaRequestMapper.ToServingRequest(Chat("""[{"role": "user", "content": "What is the weather in Paris and Rome?"}]""")).Request!;
        var forced = request with { Tools = request.Tools! with { Mode = ToolChoiceKind.Required } };
        var (rendered, reader) = new ToolCallRules().Apply(forced, ToolCallFormats.Json);
        var generated = await Generated.CollectAsync(fixture.Engine, new GenerationRequest
        {
            Messages = [.. rendered.Call.Messages!.Select(m => new ChatTurn(m.Role, m.Content))],
            Grammar = rendered.Call.Grammar,
            MaxTokens = 400,
            Sampling = new SamplingOptions { Temperature = 1, TopK = 40, Seed = 5 },
        });
        var chunks = generated.Updates.Where(u => u.Final is null).Select(u => new GenerateChunk { Text = u.Text }).Append(new GenerateChunk
        {
            FinishReason = generated.Final.FinishReason == GenerationFinishReason.Stop ? FinishReason.Stop : FinishReason.Length,
            Usage = new Usage { CompletionTokens = generated.Final.CompletionTokens },
        });
        var read = new List<GenerateChunk>();
        await foreach (var chunk in reader!.ReadAsync(chunks.ToAsyncEnumerable()))
        {
            read.Add(chunk);
        }

        // As the handler writes them: a line per completed call, then the closing line; and one object for stream: false.
        var writer = new OllamaChunkWriter("stories260K", chat: true);
        var stream = new ArrayBufferWriter<byte>();
        var streamed = new OllamaToolCalls();
        var whole = new OllamaToolCalls();
        var wholeCalls = new List<ToolCall>();
        foreach (var chunk in read)
        {
            var calls = streamed.Add(chunk);
            wholeCalls.AddRange(whole.Add(chunk));
            if (chunk.Usage is not null)
            {
                calls = [.. calls, .. streamed.Rest()];
            }

            if (calls.Count > 0)
            {
                writer.Calls(stream, calls);
            }
        }

        wholeCalls.AddRange(whole.Rest());
        var closing = new ArrayBufferWriter<byte>();
        writer.Final(closing, "", default(OllamaStats) with { DoneReason = "stop" }, wholeCalls);

        Assert.Equal(FinishReason.ToolCalls, read[^1].FinishReason);
        var lines = Encoding.UTF8.GetString(stream.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var lineCalls = lines.SelectMany(l => l.GetProperty("message").GetProperty("tool_calls").EnumerateArray()).ToList();
        Assert.InRange(lineCalls.Count, 1, ToolCallRules.MaxParallelCalls);
        Assert.All(lines, l => Assert.False(l.GetProperty("done").GetBoolean()));
        Assert.All(lineCalls, AssertValidCall);
        var answer = JsonDocument.Parse(closing.WrittenMemory).RootElement;
        var answerCalls = answer.GetProperty("message").GetProperty("tool_calls").EnumerateArray().ToList();
        Assert.Equal(lineCalls.Select(c => c.GetRawText()), answerCalls.Select(c => c.GetRawText()));
        Assert.Equal(Enumerable.Range(0, answerCalls.Count), answerCalls.Select(c => c.GetProperty("function").GetProperty("index").GetInt32()));
        Assert.Equal("", answer.GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public void A_call_cut_off_before_its_arguments_closed_is_left_out()
    {
        var calls = new OllamaToolCalls();
        var first = calls.Add(new GenerateChunk { ToolCalls = { new ToolCall { Index = 0, Id = "call_a", Name = "get_weather", Arguments = """{"city": "Paris", "unit": "c"}""" } } });
        var second = calls.Add(new GenerateChunk { ToolCalls = { new ToolCall { Index = 1, Id = "call_b", Name = "get_weather", Arguments = """{"city": "Ro""" } } });

        Assert.Empty(first);
        Assert.Equal("call_a", Assert.Single(second).Id);
        Assert.Empty(calls.Rest());
    }

    private static void AssertValidCall(JsonElement call)
    {
        Assert.StartsWith("call_", call.GetProperty("id").GetString());
        var function = call.GetProperty("function");
        Assert.Equal("get_weather", function.GetProperty("name").GetString());
        var arguments = function.GetProperty("arguments");
        Assert.Equal(JsonValueKind.Object, arguments.ValueKind);
        Assert.Null(SchemaValidator.Problem(ToolCallRulesTests.WeatherParameters, arguments.GetRawText()));
    }
}
