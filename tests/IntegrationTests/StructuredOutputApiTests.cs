using System.ClientModel;
using System.Net;
using System.Text.Json;
using Grpc.Core;
using Json.Schema;
using OpenAI;
using OpenAI.Chat;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using SlmCluster.Testing;

namespace SlmCluster.IntegrationTests;

/// <summary>Answers shaped by a JSON Schema, any JSON object or a GBNF grammar, through both front doors.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StructuredOutputApiTests(ClusterFixture cluster) : IDisposable
{
    private const string PersonSchema = """
        {
          "type": "object",
          "properties": {
            "name": { "type": "string", "maxLength": 12 },
            "age": { "type": "integer", "minimum": 0, "maximum": 120 },
            "pet": { "enum": ["cat", "dog", "fish"] }
          },
          "required": ["name", "age", "pet"]
        }
        """;

    private readonly OpenAiHttpClient _http = new(cluster.Gateway.HttpAddress);

    public void Dispose() => _http.Dispose();

    private OpenAIClientOptions Options => new() { Endpoint = new Uri(cluster.Gateway.HttpAddress, "v1/"), NetworkTimeout = TimeSpan.FromSeconds(60) };

    private ChatClient Chat => new(ClusterFixture.ModelId, new ApiKeyCredential("not-checked"), Options);

    private static ChatCompletionOptions SchemaOptions(float temperature) => new()
    {
        Temperature = temperature,
        MaxOutputTokenCount = 300,
        ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("person", BinaryData.FromString(PersonSchema), jsonSchemaIsStrict: true),
    };


    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    public async Task The_official_client_gets_an_answer_that_validates_against_its_json_schema(float temperature)
    {
        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("Tell me about a girl and her pet.")], SchemaOptions(temperature));

        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Null(SchemaValidator.Problem(PersonSchema, completion.Content.Single().Text));
    }

    [Fact]
    public async Task The_official_client_streams_an_answer_that_validates_against_its_json_schema()
    {
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in Chat.CompleteChatStreamingAsync([new UserChatMessage("Tell me about a boy and his pet.")], SchemaOptions(1f)))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.Null(SchemaValidator.Problem(PersonSchema, text.ToString()));
    }

    [Fact]
    public async Task Json_object_gives_an_answer_that_reads_as_a_JSON_object_as_far_as_max_tokens_lets_it_go()
    {
        // This tiny story model fills an open object's strings with prose, so the object rarely closes within a test's
        // tokens; what it writes must still be a JSON object up to where it was cut.
        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("Once upon a time")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 64, ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() });

        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(completion.Content.Single().Text), isFinalBlock: false, state: default);
        Assert.True(reader.Read());
        Assert.Equal(JsonTokenType.StartObject, reader.TokenType);
        var tokens = 1;
        while (reader.Read())
        {
            tokens++;
        }

        Assert.True(tokens > 1, completion.Content.Single().Text);
    }

    [Fact]
    public async Task Llama_servers_grammar_and_json_schema_fields_shape_a_completion()
    {
        var grammar = await _http.PostAsync("/v1/completions",
            """{"prompt":"Once upon a time","max_tokens":64,"grammar":"root ::= \"The cat sat.\" | \"The dog ran.\""}""");
        var schema = await _http.PostAsync("/v1/completions",
            $$"""{"prompt":"Once upon a time","max_tokens":300,"temperature":0,"json_schema":{{PersonSchema}}}""");

        Assert.Equal(HttpStatusCode.OK, grammar.Status);
        Assert.Contains(grammar.Json.GetProperty("choices")[0].GetProperty("text").GetString(), new[] { "The cat sat.", "The dog ran." });
        Assert.Equal("stop", grammar.Json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(HttpStatusCode.OK, schema.Status);
        Assert.Null(SchemaValidator.Problem(PersonSchema, schema.Json.GetProperty("choices")[0].GetProperty("text").GetString()!));
    }

    [Theory]
    [InlineData("""{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"a":{"not":{}}}}}}""", "response_format.json_schema.schema", "'not' at #/properties/a")]
    [InlineData("""{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"string","format":"email"}}}""", "response_format.json_schema.schema", "'format' at #")]
    public async Task A_schema_the_gateway_cannot_enforce_is_a_400_naming_keyword_and_path(string format, string param, string expected)
    {
        var response = await _http.PostAsync("/v1/chat/completions",
            $$"""{"messages":[{"role":"user","content":"hi"}],"response_format":{{format}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("invalid_request_error", response.Error.GetProperty("type").GetString());
        Assert.Equal(param, response.Error.GetProperty("param").GetString());
        Assert.Contains(expected, response.Error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_grammar_llama_cpp_cannot_parse_is_a_400_and_the_gateway_keeps_serving()
    {
        var bad = await _http.PostAsync("/v1/completions", """{"prompt":"Once","grammar":"root ::= \"unclosed"}""");
        var good = await _http.PostAsync("/v1/completions", """{"prompt":"Once","max_tokens":32,"grammar":"root ::= \"ok\""}""");

        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Contains("not valid GBNF", bad.Error.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, good.Status);
        Assert.Equal("ok", good.Json.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task GRPC_response_format_shapes_the_answer_and_a_bad_one_is_invalid_argument()
    {
        var options = new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60));
        var schema = new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 300, ResponseFormat = new ResponseFormat { JsonSchema = PersonSchema } };
        var gbnf = new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 32, ResponseFormat = new ResponseFormat { Gbnf = "root ::= \"yes\" | \"no\"" } };
        var refused = new GenerateRequest { Prompt = "Once upon a time", ResponseFormat = new ResponseFormat { JsonSchema = """{"uniqueItems":true,"type":"array"}""" } };

        var fromSchema = await cluster.GatewayClient.GenerateAsync(schema, options);
        var fromGbnf = await cluster.GatewayClient.GenerateAsync(gbnf, options);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await cluster.GatewayClient.GenerateAsync(refused, options));

        Assert.Equal(FinishReason.Stop, fromSchema.FinishReason);
        Assert.Null(SchemaValidator.Problem(PersonSchema, fromSchema.Text));
        Assert.Contains(fromGbnf.Text, new[] { "yes", "no" });
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("'uniqueItems' at #", e.Status.Detail);
    }
}
