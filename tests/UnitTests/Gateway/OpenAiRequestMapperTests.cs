using System.Text;
using SlmCluster.Gateway.Api.OpenAi;
using SlmCluster.Gateway.Serving;

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
        var request = OpenAiRequestMapper.ToServingRequest(Chat("""{"messages":[{"role":"critic","content":"x"},{"content":"y"}]}"""));

        Assert.Equal(["critic", ""], request.Call.Messages!.Select(m => m.Role));
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

    [Theory]
    [InlineData(""","functions":[{"name":"f"}]""", "functions", "deprecated functions")]
    [InlineData(""","function_call":{"name":"f"}""", "function_call", "deprecated function_call")]
    [InlineData(""","repetition_penalty":1.1""", "repetition_penalty", "repetition penalty")]
    [InlineData(""","min_p":0.05""", "min_p", "min-p")]
    [InlineData(""","typical_p":0.9""", "typical_p", "typical")]
    [InlineData(""","mirostat":2""", "mirostat", "mirostat")]
    [InlineData(""","dry_multiplier":0.8""", "dry_multiplier", "DRY")]
    [InlineData(""","xtc_probability":0.5""", "xtc_probability", "XTC")]
    public void A_field_that_would_change_the_answer_but_is_not_honoured_is_a_400_naming_it(string field, string param, string expected)
    {
        var chat = Assert.Throws<InvalidOpenAiRequestException>(() => OpenAiRequestMapper.ToServingRequest(Chat($$"""{"messages":[{"role":"user","content":"x"}]{{field}}}""")));
        var completion = Assert.Throws<InvalidOpenAiRequestException>(() => OpenAiRequestMapper.ToServingRequest(Completion($$"""{"prompt":"x"{{field}}}""")));

        foreach (var e in new[] { chat, completion })
        {
            Assert.Equal(param, e.Param);
            Assert.Contains(expected, e.Message);
            Assert.Contains("leave it out", e.Message);
            Assert.Equal(400, e.Status);
        }
    }

    [Theory]
    [InlineData(""","best_of":3""", "best_of")]
    [InlineData(""","echo":true""", "echo")]
    [InlineData(",\"suffix\":\"The end.\"", "suffix")]
    [InlineData(""","tools":[{"type":"function","function":{"name":"f"}}]""", "tools")]
    [InlineData(",\"tool_choice\":\"required\"", "tool_choice")]
    [InlineData(""","tool_choice":{"type":"function","function":{"name":"f"}}""", "tool_choice")]
    public void A_completion_field_that_is_not_honoured_is_a_400_naming_it(string field, string param)
    {
        var e = Assert.Throws<InvalidOpenAiRequestException>(() => OpenAiRequestMapper.ToServingRequest(Completion($$"""{"prompt":"x"{{field}}}""")));

        Assert.Equal(param, e.Param);
        Assert.Equal(400, e.Status);
    }

    [Fact]
    public void Penalties_and_logit_biases_reach_the_call_on_both_endpoints()
    {
        const string Fields = ""","presence_penalty":0.5,"frequency_penalty":-1,"repeat_penalty":1.3,"repeat_last_n":32,"logit_bias":{"50256":-100,"7":2.5}""";

        foreach (var call in new[]
        {
            OpenAiRequestMapper.ToServingRequest(Chat($$"""{"messages":[{"role":"user","content":"x"}]{{Fields}}}""")).Call,
            OpenAiRequestMapper.ToServingRequest(Completion($$"""{"prompt":"x"{{Fields}}}""")).Call,
        })
        {
            Assert.Equal(0.5f, call.PresencePenalty);
            Assert.Equal(-1f, call.FrequencyPenalty);
            Assert.Equal(1.3f, call.RepeatPenalty);
            Assert.Equal(32, call.RepeatLastN);
            Assert.Equal(new Dictionary<int, float> { [50256] = -100, [7] = 2.5f }, call.LogitBias);
        }
    }

    [Theory]
    [InlineData("""{"a":1}""", "its keys are token ids")]
    [InlineData("""{"-3":1}""", "its keys are token ids")]
    [InlineData("""{"3":"big"}""", "a bias is a number")]
    [InlineData("""[1,2]""", "send an object")]
    public void A_logit_bias_that_is_not_token_ids_to_numbers_is_a_400_naming_it(string bias, string expected)
    {
        var e = Assert.Throws<InvalidOpenAiRequestException>(() => OpenAiRequestMapper.ToServingRequest(Completion($$"""{"prompt":"x","logit_bias":{{bias}}}""")));

        Assert.Equal("logit_bias", e.Param);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Neutral_penalties_and_an_empty_logit_bias_are_as_if_not_sent()
    {
        var call = OpenAiRequestMapper.ToServingRequest(Completion(
            """{"prompt":"x","presence_penalty":0,"frequency_penalty":0,"repeat_penalty":1,"repeat_last_n":64,"logit_bias":{}}""")).Call;

        Assert.Null(call.PresencePenalty);
        Assert.Null(call.FrequencyPenalty);
        Assert.Null(call.RepeatPenalty);
        Assert.Null(call.RepeatLastN);
        Assert.Null(call.LogitBias);
    }

    [Fact]
    public void Values_that_change_nothing_are_accepted_as_clients_send_them()
    {
        const string Neutral = """
            ,"response_format":{"type":"text"},"tools":[],"tool_choice":"none","parallel_tool_calls":true,"functions":[],"function_call":"auto",
            "presence_penalty":0,"frequency_penalty":0.0,"logit_bias":{},"repetition_penalty":1,"repeat_penalty":1,"min_p":0,"typical_p":1,
            "mirostat":0,"dry_multiplier":0,"xtc_probability":0,"grammar":"","json_schema":null
            """;

        var chat = OpenAiRequestMapper.ToServingRequest(Chat($$"""{"messages":[{"role":"user","content":"x"}]{{Neutral}}}"""));
        var completion = OpenAiRequestMapper.ToServingRequest(Completion($$"""{"prompt":"x"{{Neutral}},"best_of":1,"echo":false,"suffix":""}"""));
        var auto = OpenAiRequestMapper.ToServingRequest(Chat("""{"messages":[{"role":"user","content":"x"}],"tool_choice":"auto","response_format":null}"""));

        Assert.Equal("x", chat.Call.Messages![0].Content);
        Assert.Equal("x", completion.Call.Prompt);
        Assert.Equal("x", auto.Call.Messages![0].Content);
    }

    [Fact]
    public void Response_formats_and_llama_servers_grammar_and_json_schema_reach_the_request_with_the_field_they_came_from()
    {
        const string User = """{"messages":[{"role":"user","content":"x"}]""";

        var jsonObject = OpenAiRequestMapper.ToServingRequest(Chat(User + ""","response_format":{"type":"json_object"}}""")).ResponseFormat;
        var jsonSchema = OpenAiRequestMapper.ToServingRequest(Chat(User + ""","response_format":{"type":"json_schema","json_schema":{"name":"p","strict":true,"schema":{"type":"object"}}}}""")).ResponseFormat;
        var llamaSchema = OpenAiRequestMapper.ToServingRequest(Completion("""{"prompt":"x","json_schema":{"type":"integer"}}""")).ResponseFormat;
        var grammar = OpenAiRequestMapper.ToServingRequest(Completion("""{"prompt":"x","grammar":"root ::= \"a\""}""")).ResponseFormat;
        var text = OpenAiRequestMapper.ToServingRequest(Chat(User + ""","response_format":{"type":"text"}}""")).ResponseFormat;

        Assert.Equal(ResponseFormat.JsonObject("response_format"), jsonObject);
        Assert.Equal(ResponseFormat.JsonSchema("""{"type":"object"}""", "response_format.json_schema.schema"), jsonSchema);
        Assert.Equal(ResponseFormat.JsonSchema("""{"type":"integer"}""", "json_schema"), llamaSchema);
        Assert.Equal(ResponseFormat.Grammar("root ::= \"a\"", "grammar"), grammar);
        Assert.Null(text);
    }

    [Theory]
    [InlineData(""","grammar":"root ::= x","json_schema":{}""", "grammar", "together with 'json_schema'")]
    [InlineData(""","grammar":"root ::= x","response_format":{"type":"json_object"}""", "grammar", "together with 'response_format'")]
    [InlineData(""","json_schema":{},"response_format":{"type":"json_object"}""", "json_schema", "together with")]
    [InlineData(",\"response_format\":\"json\"", "response_format", "must be an object")]
    [InlineData(""","response_format":{}""", "response_format.type", "required")]
    [InlineData(""","response_format":{"type":"yaml"}""", "response_format.type", "\"yaml\"")]
    [InlineData(""","response_format":{"type":"json_schema"}""", "response_format.json_schema", "required")]
    [InlineData(""","response_format":{"type":"json_schema","json_schema":{"name":"p"}}""", "response_format.json_schema.schema", "required")]
    [InlineData(""","response_format":{"type":"json_schema","json_schema":{"name":"p","schema":"object"}}""", "response_format.json_schema.schema", "must be a JSON Schema")]
    [InlineData(""","json_schema":[1]""", "json_schema", "must be a JSON Schema")]
    public void Conflicting_or_malformed_formats_are_a_400_naming_the_field(string field, string param, string expected)
    {
        var e = Assert.Throws<InvalidOpenAiRequestException>(() => OpenAiRequestMapper.ToServingRequest(Chat($$"""{"messages":[{"role":"user","content":"x"}]{{field}}}""")));

        Assert.Equal(param, e.Param);
        Assert.Contains(expected, e.Message);
        Assert.Equal(400, e.Status);
    }
}
