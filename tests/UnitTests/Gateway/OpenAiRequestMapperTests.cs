using System.Text;
using SlmCluster.Gateway.Api.OpenAi;

namespace SlmCluster.UnitTests.Gateway;

public sealed class OpenAiRequestMapperTests
{
    private static ChatCompletionRequest Chat(string json) => OpenAiRequestBody.Parse(Encoding.UTF8.GetBytes(json), OpenAiJsonContext.Api.ChatCompletionRequest);

    private static CompletionRequest Completion(string json) => OpenAiRequestBody.Parse(Encoding.UTF8.GetBytes(json), OpenAiJsonContext.Api.CompletionRequest);

    [Fact]
    public void A_chat_request_maps_every_field_the_wire_contract_has()
    {
        var request = OpenAiRequestMapper.ToServingRequest(Chat("""
            {"model":"m","messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":null}],
             "max_tokens":7,"temperature":0.5,"top_p":0.9,"top_k":40,"seed":12,"stop":["a","b"],"user":"u-1","ignore_eos":true}
            """));

        Assert.Equal("m", request.Model);
        Assert.Equal(["system", "user", "assistant"], request.Call.Messages!.Select(m => m.Role));
        Assert.Equal(["Be brief.", "Hi", ""], request.Call.Messages!.Select(m => m.Content));
        Assert.Equal(7, request.Call.MaxTokens);
        Assert.Equal(0.5f, request.Call.Temperature);
        Assert.Equal(0.9f, request.Call.TopP);
        Assert.Equal(40, request.Call.TopK);
        Assert.Equal(12u, request.Call.Seed);
        Assert.Equal(["a", "b"], request.Call.Stop);
        Assert.Equal("u-1", request.SessionId);
        Assert.True(request.Call.IgnoreEndOfSequence);
        Assert.Null(request.Call.Prompt);
    }

    [Fact]
    public void Left_out_fields_take_OpenAI_defaults_and_max_completion_tokens_wins_over_max_tokens()
    {
        var request = OpenAiRequestMapper.ToServingRequest(Chat("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":5,"max_completion_tokens":9}"""));

        Assert.Equal(9, request.Call.MaxTokens);
        Assert.Equal(1f, request.Call.Temperature);
        Assert.Equal(1f, request.Call.TopP);
        Assert.Null(request.Call.Seed);
        Assert.Empty(request.Call.Stop);
        Assert.Equal("", request.Model);
        Assert.Equal("", request.SessionId);
    }

    [Fact]
    public void Text_parts_of_a_message_are_joined()
    {
        var request = OpenAiRequestMapper.ToServingRequest(Chat("""{"messages":[{"role":"user","content":[{"type":"text","text":"Once "},{"type":"text","text":"upon"}]}]}"""));

        Assert.Equal("Once upon", request.Call.Messages![0].Content);
    }

    [Theory]
    [InlineData("""{"prompt":"Once"}""", "Once")]
    [InlineData("""{"prompt":["Once"]}""", "Once")]
    public void A_completion_prompt_is_a_string_or_an_array_of_one(string json, string prompt)
    {
        var request = OpenAiRequestMapper.ToServingRequest(Completion(json));

        Assert.Equal(prompt, request.Call.Prompt);
        Assert.Null(request.Call.Messages);
    }

    [Fact]
    public void A_single_stop_string_and_a_negative_seed_are_taken_as_they_come()
    {
        var request = OpenAiRequestMapper.ToServingRequest(Completion("""{"prompt":"x","stop":"\n","seed":-1}"""));

        Assert.Equal(["\n"], request.Call.Stop);
        Assert.Equal(uint.MaxValue, request.Call.Seed);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"n":3}""", "n", "only 1")]
    [InlineData("""{"model":"m"}""", "messages", "required")]
    [InlineData("""{"messages":[]}""", "messages", "empty")]
    [InlineData("""{"messages":[null]}""", "messages[0]", "null")]
    [InlineData("""{"messages":[{"role":"user","content":5}]}""", "messages[0].content", "a number")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}""", "messages[0].content[0]", "text part")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"text","text":"\udfff"}]}]}""", "messages[0].content[0].text", "not valid text")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"max_completion_tokens":0}""", "max_completion_tokens", "at least 1")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"stop":{"a":1}}""", "stop", "an object")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"stop":["a",false]}""", "stop[1]", "a boolean")]
    public void A_chat_request_the_shapes_cannot_map_is_refused_naming_the_field(string json, string param, string expected)
    {
        var e = Assert.Throws<InvalidOpenAiRequestException>(() => OpenAiRequestMapper.ToServingRequest(Chat(json)));

        Assert.Equal(param, e.Param);
        Assert.Contains(expected, e.Message);
        Assert.Equal(400, e.Status);
    }

    [Theory]
    [InlineData("""{"max_tokens":3}""", "required")]
    [InlineData("""{"prompt":""}""", "empty")]
    [InlineData("""{"prompt":["a","b"]}""", "one string")]
    [InlineData("""{"prompt":[]}""", "one string")]
    [InlineData("""{"prompt":[1,2]}""", "token ids")]
    [InlineData("""{"prompt":{"text":"x"}}""", "an object")]
    [InlineData("""{"prompt":"\ud800"}""", "not valid text")]
    public void A_completion_prompt_that_is_not_one_string_is_refused(string json, string expected)
    {
        var e = Assert.Throws<InvalidOpenAiRequestException>(() => OpenAiRequestMapper.ToServingRequest(Completion(json)));

        Assert.Equal("prompt", e.Param);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Roles_are_passed_on_for_the_shared_validator_to_judge()
    {
        // Refusing unknown roles is the serving rules' job, so gRPC and HTTP give the same message.
        var request = OpenAiRequestMapper.ToServingRequest(Chat("""{"messages":[{"role":"tool","content":"x"},{"content":"y"}]}"""));

        Assert.Equal(["tool", ""], request.Call.Messages!.Select(m => m.Role));
    }

    [Fact]
    public void Chat_logprobs_and_top_logprobs_reach_the_request()
    {
        var asked = OpenAiRequestMapper.ToServingRequest(Chat("""{"messages":[{"role":"user","content":"x"}],"logprobs":true,"top_logprobs":3}"""));
        var plain = OpenAiRequestMapper.ToServingRequest(Chat("""{"messages":[{"role":"user","content":"x"}],"logprobs":false}"""));

        Assert.True(asked.Call.Logprobs);
        Assert.Equal(3, asked.Call.TopLogprobs);
        Assert.False(plain.Call.Logprobs);
        Assert.Equal(0, plain.Call.TopLogprobs);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"top_logprobs":2}""", "needs 'logprobs': true")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"logprobs":false,"top_logprobs":0}""", "needs 'logprobs': true")]
    public void Chat_top_logprobs_without_logprobs_is_a_400_naming_it(string json, string expected)
    {
        var e = Assert.Throws<InvalidOpenAiRequestException>(() => OpenAiRequestMapper.ToServingRequest(Chat(json)));

        Assert.Equal("top_logprobs", e.Param);
        Assert.Contains(expected, e.Message);
        Assert.Equal(400, e.Status);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Completion_logprobs_asks_for_that_many_alternatives(int logprobs)
    {
        var request = OpenAiRequestMapper.ToServingRequest(Completion($$"""{"prompt":"x","logprobs":{{logprobs}}}"""));

        Assert.True(request.Call.Logprobs);
        Assert.Equal(logprobs, request.Call.TopLogprobs);
        Assert.False(OpenAiRequestMapper.ToServingRequest(Completion("""{"prompt":"x"}""")).Call.Logprobs);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(-1)]
    public void Completion_logprobs_outside_0_to_5_is_a_400(int logprobs)
    {
        var e = Assert.Throws<InvalidOpenAiRequestException>(() => OpenAiRequestMapper.ToServingRequest(Completion($$"""{"prompt":"x","logprobs":{{logprobs}}}""")));

        Assert.Equal("logprobs", e.Param);
        Assert.Contains("between 0 and 5", e.Message);
    }
}
