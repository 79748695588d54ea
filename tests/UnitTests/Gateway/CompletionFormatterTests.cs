using System.Text;
using Google.Protobuf;
using SlmCluster.Gateway.Api.OpenAi;
using SlmCluster.Protocol.V1;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>The exact JSON the OpenAI API answers with: field names, nulls that must be there, and nothing extra.</summary>
public sealed class CompletionFormatterTests
{
    private static readonly OpenAiUsage Usage = new() { PromptTokens = 3, CompletionTokens = 2, TotalTokens = 5 };

    private static string Text(byte[]? json) => Encoding.UTF8.GetString(json!);

    [Fact]
    public void A_whole_chat_completion_has_OpenAIs_shape()
    {
        var json = Text(new ChatCompletionFormatter("chatcmpl-1", 1700000000, "m").Complete("It's é.", "stop", Usage));

        Assert.Equal("""{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"It's é."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}""", json);
    }

    [Fact]
    public void Chat_chunks_open_with_the_role_carry_content_then_the_finish_reason_then_usage()
    {
        var formatter = new ChatCompletionFormatter("chatcmpl-1", 1, "m");

        Assert.Equal("""{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}""", Text(formatter.Opening()));
        Assert.Equal("""{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi \"you\""},"logprobs":null,"finish_reason":null}]}""", Text(formatter.Piece("Hi \"you\"")));
        Assert.Equal("""{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}]}""", Text(formatter.Finish("length")));
        Assert.Equal("""{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}""", Text(formatter.Usage(Usage)));
    }

    [Fact]
    public void Text_completions_are_text_completion_objects_whole_and_streamed()
    {
        var formatter = new TextCompletionFormatter("cmpl-1", 1, "m");

        Assert.Null(formatter.Opening());
        Assert.Equal("""{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"text":" there","index":0,"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}""", Text(formatter.Complete(" there", "stop", Usage)));
        Assert.Equal("""{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"text":" was","index":0,"logprobs":null,"finish_reason":null}]}""", Text(formatter.Piece(" was")));
        Assert.Equal("""{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}""", Text(formatter.Usage(Usage)));
    }

    [Theory]
    [InlineData(SlmCluster.Protocol.V1.FinishReason.Stop, "stop")]
    [InlineData(SlmCluster.Protocol.V1.FinishReason.Length, "length")]
    [InlineData(SlmCluster.Protocol.V1.FinishReason.Unspecified, "stop")]
    public void Finish_reasons_map_to_OpenAIs(SlmCluster.Protocol.V1.FinishReason reason, string expected)
    {
        Assert.Equal(expected, OpenAiFinishReason.From(reason));
    }

    private static TokenLogprob Entry(string token, float logprob, params (string Token, float Logprob)[] top)
    {
        var entry = new TokenLogprob { Token = token, Bytes = ByteString.CopyFromUtf8(token), Logprob = logprob };
        entry.TopLogprobs.Add(top.Select(t => new TopLogprob { Token = t.Token, Bytes = ByteString.CopyFromUtf8(t.Token), Logprob = t.Logprob }));
        return entry;
    }

    [Fact]
    public void A_whole_chat_completion_with_logprobs_lists_its_tokens_bytes_as_integers_and_alternatives()
    {
        var formatter = new ChatCompletionFormatter("chatcmpl-1", 1, "m", logprobs: true);

        var json = Text(formatter.Complete("Hi!", "stop", Usage, logprobs: [Entry("Hi", -0.5f, ("Hi", -0.5f), ("Yo", -1.25f)), Entry("!", -2f, ("!", -2f), (".", -2.5f))]));

        Assert.Equal("""{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"logprobs":{"content":[{"token":"Hi","logprob":-0.5,"bytes":[72,105],"top_logprobs":[{"token":"Hi","logprob":-0.5,"bytes":[72,105]},{"token":"Yo","logprob":-1.25,"bytes":[89,111]}]},{"token":"!","logprob":-2,"bytes":[33],"top_logprobs":[{"token":"!","logprob":-2,"bytes":[33]},{"token":".","logprob":-2.5,"bytes":[46]}]}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}""", json);
    }

    [Fact]
    public void Streamed_chat_chunks_carry_the_entries_of_their_delta_and_none_in_the_role_and_finish_chunks()
    {
        var formatter = new ChatCompletionFormatter("chatcmpl-1", 1, "m", logprobs: true);

        Assert.Contains("\"logprobs\":null", Text(formatter.Opening()));
        Assert.Equal("""{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" é"},"logprobs":{"content":[{"token":" é","logprob":-0.125,"bytes":[32,195,169],"top_logprobs":[]}]},"finish_reason":null}]}""", Text(formatter.Piece(" é", [Entry(" é", -0.125f)])));
        Assert.Contains("\"logprobs\":{\"content\":[]}", Text(formatter.Piece("x", [])));
        Assert.Contains("\"logprobs\":null", Text(formatter.Finish("stop")));
    }

    [Fact]
    public void An_impossible_token_is_written_as_OpenAIs_minus_9999_not_as_invalid_JSON()
    {
        var formatter = new ChatCompletionFormatter("chatcmpl-1", 1, "m", logprobs: true);

        var json = Text(formatter.Piece("x", [Entry("x", -1f, ("x", -1f), ("y", float.NegativeInfinity))]));

        Assert.Contains("{\"token\":\"y\",\"logprob\":-9999,", json);
    }

    [Fact]
    public void A_whole_text_completion_with_logprobs_has_the_legacy_parallel_lists()
    {
        var formatter = new TextCompletionFormatter("cmpl-1", 1, "m", logprobs: true);

        // With logprobs 1, the chosen token is among the alternatives or added to them ("up to logprobs + 1").
        var json = Text(formatter.Complete(" there was", "length", Usage, logprobs: [Entry(" there", -0.25f, (" there", -0.25f)), Entry(" was", -3f, (" is", -0.5f))]));

        Assert.Equal("""{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"text":" there was","index":0,"logprobs":{"tokens":[" there"," was"],"token_logprobs":[-0.25,-3],"top_logprobs":[{" there":-0.25},{" is":-0.5," was":-3}],"text_offset":[0,6]},"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}""", json);
    }

    [Fact]
    public void Streamed_text_offsets_count_from_the_start_of_the_completion_and_a_split_character_once()
    {
        var formatter = new TextCompletionFormatter("cmpl-1", 1, "m", logprobs: true);
        var firstHalf = new TokenLogprob { Token = "\uFFFD", Bytes = ByteString.CopyFrom(0xC3), Logprob = -1 };
        var secondHalf = new TokenLogprob { Token = "\uFFFD", Bytes = ByteString.CopyFrom(0xA9), Logprob = -1 };

        var first = System.Text.Json.JsonDocument.Parse(formatter.Piece("ab", [Entry("a", -1), Entry("b", -1)])).RootElement;
        var second = System.Text.Json.JsonDocument.Parse(formatter.Piece("é!", [firstHalf, secondHalf, Entry("!", -1)])).RootElement;

        Assert.Equal([0, 1], first.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("text_offset").EnumerateArray().Select(o => o.GetInt32()));
        Assert.Equal([2, 2, 3], second.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("text_offset").EnumerateArray().Select(o => o.GetInt32()));
        Assert.Contains("\"logprobs\":null", Text(formatter.Finish("stop")));
    }
}
