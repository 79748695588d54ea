using SlmCluster.Client;
using SlmCluster.Contracts;
using SlmCluster.Gateway.Serving.Tools;
using SlmCluster.Protocol.V1;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>An answer's text read as tool calls, whole or in the pieces it streams in.</summary>
public sealed class ToolCallReaderTests
{
    private const string TwoHermesCalls = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"c\"} }\n</tool_call>\n"
        + "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"a}\\\"b\"}}\n</tool_call>";

    private static ToolCallReader Reader(string format, ToolChoiceKind mode) =>
        new ToolCallRules().Apply(ToolCallRulesTests.Chat(ToolCallRulesTests.Weather(mode), new ChatTurnMessage("user", "x")), format).Reader!;

    private static async Task<List<GenerateChunk>> ReadAsync(ToolCallReader reader, string text, int pieceLength)
    {
        var chunks = new List<GenerateChunk>();
        for (var i = 0; i < text.Length; i += pieceLength)
        {
            chunks.Add(new GenerateChunk { Text = text.Substring(i, Math.Min(pieceLength, text.Length - i)) });
        }

        chunks.Add(new GenerateChunk { FinishReason = FinishReason.Stop, Usage = new Usage { CompletionTokens = 10 } });
        var read = new List<GenerateChunk>();
        await foreach (var chunk in reader.ReadAsync(chunks.ToAsyncEnumerable()))
        {
            read.Add(chunk);
        }

        return read;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public async Task Hermes_calls_stream_as_a_first_piece_with_id_and_name_then_argument_pieces_that_join_to_the_arguments(int pieceLength)
    {
        var read = await ReadAsync(Reader(ToolCallFormats.Hermes, ToolChoiceKind.Required), TwoHermesCalls, pieceLength);

        var pieces = read.SelectMany(c => c.ToolCalls).ToList();
        var joined = new ToolCallPieces();
        joined.Add(pieces);
        Assert.All(read, c => Assert.Equal("", c.Text));
        Assert.Equal(FinishReason.ToolCalls, read[^1].FinishReason);
        Assert.Equal(["get_weather", "get_time"], joined.Calls.Select(c => c.Name));
        Assert.Equal(["{\"city\": \"Paris\", \"unit\": \"c\"}", "{\"zone\": \"a}\\\"b\"}"], joined.Calls.Select(c => c.Arguments));
        Assert.All(joined.Calls, c => Assert.Matches("^call_[A-Za-z0-9]{24}$", c.Id));
        // The first piece of each call names it; no later piece does.
        foreach (var index in new[] { 0, 1 })
        {
            var ofCall = pieces.Where(p => p.Index == index).ToList();
            Assert.NotEqual("", ofCall[0].Id);
            Assert.All(ofCall.Skip(1), p => Assert.Equal("", p.Name + p.Id));
        }
    }

    [Fact]
    public async Task Generic_json_calls_are_read_from_the_tool_calls_object()
    {
        var text = "{\"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"unit\": \"f\"}}, {\"name\": \"get_weather\", \"arguments\": {}}]}";

        var read = await ReadAsync(Reader(ToolCallFormats.Json, ToolChoiceKind.Required), text, 3);

        var joined = new ToolCallPieces();
        joined.Add(read.SelectMany(c => c.ToolCalls));
        Assert.Equal(["{\"city\": \"Oslo\", \"unit\": \"f\"}", "{}"], joined.Calls.Select(c => c.Arguments));
        Assert.Equal(FinishReason.ToolCalls, read[^1].FinishReason);
    }

    [Theory]
    [InlineData("Hello there.")]
    [InlineData("<b>bold</b>")]
    public async Task Under_auto_a_text_answer_stays_text_and_finishes_with_stop(string text)
    {
        var read = await ReadAsync(Reader(ToolCallFormats.Hermes, ToolChoiceKind.Auto), text, 2);

        Assert.Equal(text, string.Concat(read.Select(c => c.Text)));
        Assert.Empty(read.SelectMany(c => c.ToolCalls));
        Assert.Equal(FinishReason.Stop, read[^1].FinishReason);
    }

    [Fact]
    public async Task Under_auto_an_answer_that_opens_as_a_call_is_read_as_calls()
    {
        var read = await ReadAsync(Reader(ToolCallFormats.Hermes, ToolChoiceKind.Auto), TwoHermesCalls, 4);

        Assert.Equal("", string.Concat(read.Select(c => c.Text)));
        Assert.Equal(2, read.SelectMany(c => c.ToolCalls).Select(p => p.Index).Distinct().Count());
        Assert.Equal(FinishReason.ToolCalls, read[^1].FinishReason);
    }
}
