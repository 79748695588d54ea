using System.Text;
using SlmCluster.Gateway.Api.OpenAi;

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
}
