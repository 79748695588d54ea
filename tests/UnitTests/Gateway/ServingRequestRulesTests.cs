using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Api.Grpc;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Serving;
using SlmCluster.Protocol.V1;
using ResponseFormat = SlmCluster.Gateway.Serving.ResponseFormat;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>The rules every front door's requests meet, shown here through the gRPC door's mapping.</summary>
public sealed class ServingRequestRulesTests
{
    private readonly ServingRequestRules _rules = new(Options.Create(new GatewayOptions { MaxTokensLimit = 512, MaxPromptCharacters = 100, MaxMessages = 3 }));

    private string? Validate(GenerateRequest request) => _rules.Validate(GrpcRequestMapper.ToServingRequest(request))?.Message;

    private static GenerateRequest Valid() => new() { Prompt = "Once upon a time", MaxTokens = 16 };

    [Fact]
    public void A_plain_prompt_request_is_valid()
    {
        Assert.Null(Validate(Valid()));
    }

    [Fact]
    public void A_chat_request_with_known_roles_is_valid()
    {
        var request = new GenerateRequest { MaxTokens = 16 };
        request.Messages.Add(new ChatMessage { Role = "system", Content = "Be brief." });
        request.Messages.Add(new ChatMessage { Role = "user", Content = "Hi" });

        Assert.Null(Validate(request));
    }

    [Fact]
    public void No_prompt_and_no_messages_says_to_set_one()
    {
        Assert.Contains("neither a prompt nor messages", Validate(new GenerateRequest { MaxTokens = 4 }));
    }

    [Fact]
    public void Prompt_and_messages_together_are_refused()
    {
        var request = Valid();
        request.Messages.Add(new ChatMessage { Role = "user", Content = "Hi" });

        Assert.Contains("only one", Validate(request));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(513)]
    public void Max_tokens_out_of_range_names_the_limit(int maxTokens)
    {
        var request = Valid();
        request.MaxTokens = maxTokens;

        var problem = Validate(request);

        Assert.Contains($"max_tokens is {maxTokens}", problem);
        Assert.Contains("512", problem);
    }

    [Fact]
    public void Zero_max_tokens_means_the_default()
    {
        var request = Valid();
        request.MaxTokens = 0;

        Assert.Null(Validate(request));
    }

    [Theory]
    [InlineData(-0.1f, 1f, 0, "temperature")]
    [InlineData(float.NaN, 1f, 0, "temperature")]
    [InlineData(0.7f, 1.5f, 0, "top_p")]
    [InlineData(0.7f, 0.9f, -3, "top_k")]
    public void Sampling_out_of_range_names_the_field(float temperature, float topP, int topK, string field)
    {
        var request = Valid();
        request.Sampling = new SamplingParams { Temperature = temperature, TopP = topP, TopK = topK };

        Assert.Contains(field, Validate(request));
    }

    [Fact]
    public void An_oversize_prompt_gives_its_length_and_the_limit()
    {
        var request = Valid();
        request.Prompt = new string('a', 101);

        Assert.Equal("The prompt is 101 characters; the limit is 100.", Validate(request));
    }

    [Fact]
    public void An_unknown_role_is_named_with_its_index()
    {
        var request = new GenerateRequest { MaxTokens = 4 };
        request.Messages.Add(new ChatMessage { Role = "user", Content = "Hi" });
        request.Messages.Add(new ChatMessage { Role = "wizard", Content = "Abracadabra" });

        Assert.Contains("messages[1].role is 'wizard'", Validate(request));
    }

    [Fact]
    public void Too_many_messages_are_refused()
    {
        var request = new GenerateRequest { MaxTokens = 4 };
        for (var i = 0; i < 4; i++)
        {
            request.Messages.Add(new ChatMessage { Role = "user", Content = "Hi" });
        }

        Assert.Contains("4 messages; the limit is 3", Validate(request));
    }

    [Fact]
    public void Empty_stop_strings_are_refused()
    {
        var request = Valid();
        request.Stop.Add("");

        Assert.Contains("Stop strings", Validate(request));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(21)]
    public void Top_logprobs_outside_0_to_20_is_refused_with_the_range(int top)
    {
        var request = Valid();
        request.TopLogprobs = top;

        var problem = Validate(request);

        Assert.Contains($"top_logprobs is {top}", problem);
        Assert.Contains("between 0 and 20", problem);
    }

    [Fact]
    public void Top_logprobs_without_logprobs_is_valid_and_turns_them_on()
    {
        var request = Valid();
        request.TopLogprobs = 20;

        Assert.Null(Validate(request));
        var call = GrpcRequestMapper.ToServingRequest(request).Call;
        Assert.Equal((true, 20), (call.Logprobs, call.TopLogprobs));
    }

    [Theory]
    [InlineData(600, 0, "max_tokens")]
    [InlineData(16, 25, "top_logprobs")]
    public void A_refusal_names_the_field_at_fault_for_the_APIs_that_report_it(int maxTokens, int topLogprobs, string param)
    {
        var request = Valid();
        request.MaxTokens = maxTokens;
        request.TopLogprobs = topLogprobs;

        Assert.Equal(param, _rules.Validate(GrpcRequestMapper.ToServingRequest(request))?.Param);
    }

    [Fact]
    public void The_gateway_allows_as_many_top_logprobs_as_the_engine_computes()
    {
        Assert.Equal(SlmCluster.Inference.GenerationRequest.MaxTopLogprobs, ServingRequestRules.MaxTopLogprobs);
    }

    private ServingRequest Constrain(ResponseFormat format) =>
        _rules.Constrain(GrpcRequestMapper.ToServingRequest(Valid()) with { ResponseFormat = format });

    [Fact]
    public void A_response_format_becomes_the_workers_grammar_and_free_text_has_none()
    {
        var free = _rules.Constrain(GrpcRequestMapper.ToServingRequest(Valid()));
        var jsonObject = Constrain(ResponseFormat.JsonObject("response_format"));
        var schema = Constrain(ResponseFormat.JsonSchema("""{"enum":["yes","no"]}""", "json_schema"));
        var gbnf = Constrain(ResponseFormat.Grammar("root ::= \"a\"", "grammar"));

        Assert.Null(free.Call.Grammar);
        Assert.Contains("root ::=", jsonObject.Call.Grammar);
        Assert.Contains("\"\\\"yes\\\"\"", schema.Call.Grammar);
        Assert.Equal("root ::= \"a\"", gbnf.Call.Grammar);
    }

    [Fact]
    public void The_same_schema_in_other_whitespace_gives_the_same_grammar()
    {
        var compact = Constrain(ResponseFormat.JsonSchema("""{"type":"object","properties":{"a":{"type":"integer"}}}""", "json_schema"));
        var spaced = Constrain(ResponseFormat.JsonSchema("""{ "type": "object", "properties": { "a": { "type": "integer" } } }""", "json_schema"));

        Assert.Equal(compact.Call.Grammar, spaced.Call.Grammar);
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"a":{"not":{"type":"string"}}}}""", "'not' at #/properties/a")]
    [InlineData("""{"type":"array","uniqueItems":true}""", "'uniqueItems' at #")]
    [InlineData("""{"$ref":"http://example.com/s.json"}""", "'$ref' at #")]
    [InlineData("""{"type":""", "not")]
    public void A_schema_the_converter_cannot_enforce_is_refused_naming_keyword_and_path(string schema, string expected)
    {
        var e = Assert.Throws<InvalidRequestException>(() => Constrain(ResponseFormat.JsonSchema(schema, "response_format.json_schema.schema")));

        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(expected, e.Status.Detail);
        Assert.Equal("response_format.json_schema.schema", e.Param);
    }

    [Fact]
    public void A_grammar_over_the_limit_is_refused_saying_the_limit()
    {
        var e = Assert.Throws<InvalidRequestException>(() =>
            Constrain(ResponseFormat.Grammar(new string('a', ServingRequestRules.MaxGrammarCharacters + 1), "response_format.gbnf")));

        Assert.Contains($"the limit is {ServingRequestRules.MaxGrammarCharacters}", e.Status.Detail);
        Assert.Equal("response_format.gbnf", e.Param);
    }

    [Fact]
    public void A_gRPC_response_format_maps_each_case_with_the_field_it_came_from()
    {
        ResponseFormat? Mapped(Protocol.V1.ResponseFormat format)
        {
            var request = Valid();
            request.ResponseFormat = format;
            return GrpcRequestMapper.ToServingRequest(request).ResponseFormat;
        }

        Assert.Equal(ResponseFormat.JsonObject("response_format.json_object"), Mapped(new() { JsonObject = true }));
        Assert.Equal(ResponseFormat.JsonSchema("{}", "response_format.json_schema"), Mapped(new() { JsonSchema = "{}" }));
        Assert.Equal(ResponseFormat.Grammar("root ::= \"a\"", "response_format.gbnf"), Mapped(new() { Gbnf = "root ::= \"a\"" }));
        Assert.Null(Mapped(new()));
        Assert.Null(GrpcRequestMapper.ToServingRequest(Valid()).ResponseFormat);
    }
}
