using System.Net;
using System.Text.Json;
using Grpc.Core;
using SlmCluster.Client;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using SlmCluster.Testing;

namespace SlmCluster.IntegrationTests;

/// <summary>
/// Tool calls on a model whose chat template shows the Hermes form: whole, streamed, over gRPC, and a conversation
/// that sends the results back. The story model cannot follow the tools' descriptions, so the tests check structure:
/// calls of offered tools whose arguments validate against their parameters.
/// </summary>
[Collection(HermesToolClusterCollection.Name)]
public sealed class ToolCallApiTests(HermesToolClusterFixture cluster) : IDisposable
{
    private const string WeatherParameters = """
        {"type": "object", "properties": {"city": {"type": "string", "maxLength": 10}, "unit": {"enum": ["c", "f"]}}, "required": ["city", "unit"]}
        """;

    private const string TimeParameters = """{"type": "object", "properties": {"zone": {"enum": ["utc", "cet"]}}, "required": ["zone"]}""";

    private static readonly string Tools = $$$"""
        [{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city.", "parameters": {{{WeatherParameters}}}}},
         {"type": "function", "function": {"name": "get_time", "parameters": {{{TimeParameters}}}}}]
        """;

    private readonly OpenAiHttpClient _http = new(cluster.Gateway.HttpAddress);

    public void Dispose() => _http.Dispose();

    private static string Body(string toolChoice, bool stream = false, float temperature = 0, bool parallel = false, string? messages = null) => $$"""
        {"model": "{{HermesToolClusterFixture.ModelId}}", "messages": {{messages ?? """[{"role": "user", "content": "What is the weather in Paris?"}]"""}},
         "tools": {{Tools}}, "tool_choice": {{toolChoice}}, "parallel_tool_calls": {{(parallel ? "true" : "false")}},
         "temperature": {{temperature}}, "seed": 11, "max_tokens": 300, "stream": {{(stream ? "true" : "false")}}}
        """;

    private static void AssertValidCall(string name, string arguments)
    {
        var schema = name switch
        {
            "get_weather" => WeatherParameters,
            "get_time" => TimeParameters,
            _ => throw new Xunit.Sdk.XunitException($"The call names '{name}', which is not an offered tool."),
        };
        Assert.Null(SchemaValidator.Problem(schema, arguments));
    }

    [Fact]
    public async Task The_worker_reports_the_hermes_tool_format_of_its_template()
    {
        var models = await cluster.GatewayClient.ListModelsAsync(new ListModelsRequest());

        Assert.Equal("hermes", models.Models.Single().ToolCallFormat);
    }

    [Theory]
    [InlineData("\"required\"", 0f)]
    [InlineData("\"required\"", 1f)]
    [InlineData("""{"type": "function", "function": {"name": "get_time"}}""", 1f)]
    public async Task A_forced_call_answers_with_tool_calls_whose_arguments_validate(string toolChoice, float temperature)
    {
        var response = await _http.PostAsync("/v1/chat/completions", Body(toolChoice, temperature: temperature));

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var choice = response.Json.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
        Assert.StartsWith("call_", call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        var name = call.GetProperty("function").GetProperty("name").GetString()!;
        if (toolChoice.Contains("get_time"))
        {
            Assert.Equal("get_time", name);
        }

        AssertValidCall(name, call.GetProperty("function").GetProperty("arguments").GetString()!);
    }

    [Fact]
    public async Task Streamed_tool_call_deltas_join_to_the_calls_of_the_whole_answer()
    {
        var whole = await _http.PostAsync("/v1/chat/completions", Body("\"required\"", parallel: true));
        var (_, events) = await _http.StreamAsync("/v1/chat/completions", Body("\"required\"", stream: true, parallel: true));

        var expected = whole.Json.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls").EnumerateArray()
            .Select(c => (c.GetProperty("function").GetProperty("name").GetString(), c.GetProperty("function").GetProperty("arguments").GetString())).ToList();
        var names = new Dictionary<int, string>();
        var arguments = new Dictionary<int, string>();
        string? finish = null;
        foreach (var e in events.Where(e => e.Data != "[DONE]"))
        {
            var choice = e.Json.GetProperty("choices")[0];
            if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String)
            {
                finish = choice.GetProperty("finish_reason").GetString();
            }

            if (!choice.GetProperty("delta").TryGetProperty("tool_calls", out var deltas))
            {
                continue;
            }

            foreach (var delta in deltas.EnumerateArray())
            {
                var index = delta.GetProperty("index").GetInt32();
                var function = delta.GetProperty("function");
                if (!names.ContainsKey(index))
                {
                    // A call's first delta names it.
                    Assert.StartsWith("call_", delta.GetProperty("id").GetString());
                    names[index] = function.GetProperty("name").GetString()!;
                    arguments[index] = "";
                }
                else
                {
                    Assert.False(delta.TryGetProperty("id", out _));
                }

                arguments[index] += function.TryGetProperty("arguments", out var piece) ? piece.GetString() : "";
            }
        }

        Assert.Equal("tool_calls", finish);
        Assert.Equal(expected, names.Keys.Order().Select(i => ((string?)names[i], (string?)arguments[i])).ToList());
        Assert.All(expected, call => AssertValidCall(call.Item1!, call.Item2!));
    }

    [Fact]
    public async Task Auto_answers_with_text_or_with_valid_calls()
    {
        for (var seed = 1; seed <= 3; seed++)
        {
            var response = await _http.PostAsync("/v1/chat/completions", Body("\"auto\"", temperature: 1).Replace("\"seed\": 11", $"\"seed\": {seed}"));

            var choice = response.Json.GetProperty("choices")[0];
            var message = choice.GetProperty("message");
            if (message.TryGetProperty("tool_calls", out var calls))
            {
                Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
                Assert.All(calls.EnumerateArray(), call => AssertValidCall(call.GetProperty("function").GetProperty("name").GetString()!,
                    call.GetProperty("function").GetProperty("arguments").GetString()!));
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(message.GetProperty("content").GetString()));
                Assert.DoesNotContain("<tool_call>", message.GetProperty("content").GetString());
            }
        }
    }

    [Fact]
    public async Task A_conversation_that_sends_calls_and_results_back_is_answered()
    {
        const string Messages = """
            [{"role": "user", "content": "Weather in Paris?"},
             {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\", \"unit\": \"c\"}"}}]},
             {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": 21}"}]
            """;

        var response = await _http.PostAsync("/v1/chat/completions", Body("\"none\"", messages: Messages));

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var choice = response.Json.GetProperty("choices")[0];
        Assert.False(choice.GetProperty("message").TryGetProperty("tool_calls", out _));
        Assert.True(response.Json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 20);
    }

    [Fact]
    public async Task Over_grpc_streamed_tool_call_pieces_collect_into_the_valid_calls_of_the_unary_answer()
    {
        var request = new GenerateRequest
        {
            Model = HermesToolClusterFixture.ModelId,
            MaxTokens = 300,
            Sampling = new SamplingParams { Temperature = 1, Seed = 5 },
            ToolChoice = new ToolChoice { Mode = ToolChoiceMode.Required },
            ParallelToolCalls = false,
        };
        request.Messages.Add(new ChatMessage { Role = "user", Content = "Weather?" });
        request.Tools.Add(new Tool { Name = "get_weather", Parameters = WeatherParameters });

        using var call = cluster.GatewayClient.GenerateStream(request);
        var chunks = new List<GenerateChunk>();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            chunks.Add(chunk);
        }

        var collected = await chunks.ToAsyncEnumerable().CollectAsync();
        var unary = await cluster.GatewayClient.GenerateAsync(request);
        Assert.Equal(FinishReason.ToolCalls, collected.FinishReason);
        Assert.Equal("", collected.Text);
        Assert.All(collected.ToolCalls, c => AssertValidCall(c.Name, c.Arguments));
        Assert.Equal(collected.ToolCalls.Select(c => c.Arguments), unary.ToolCalls.Select(c => c.Arguments));
    }

    [Theory]
    [InlineData("""{"type": "function", "function": {"name": "get_date"}}""", null, "tool_choice", "not one of the tools")]
    [InlineData("\"required\"", """, "grammar": "root ::= \"x\"" """, "grammar", "'tools' is sent together with 'grammar'")]
    [InlineData("\"required\"", """, "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}""", "response_format.json_schema.schema", "together with")]
    public async Task A_tool_request_that_cannot_be_honoured_is_a_400_naming_the_field(string toolChoice, string? extra, string param, string expected)
    {
        var body = Body(toolChoice);
        if (extra is not null)
        {
            body = body.TrimEnd().TrimEnd('}') + extra + "}";
        }

        var response = await _http.PostAsync("/v1/chat/completions", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal(param, response.Error.GetProperty("param").GetString());
        Assert.Contains(expected, response.Error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_tool_schema_the_converter_cannot_enforce_is_a_400_naming_keyword_and_path()
    {
        var body = """
            {"model": "stories260K-hermes", "messages": [{"role": "user", "content": "x"}],
             "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "string", "format": "email"}}}}}]
            }
            """;

        var response = await _http.PostAsync("/v1/chat/completions", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("tools[0].function.parameters", response.Error.GetProperty("param").GetString());
        Assert.Contains("#/properties/a", response.Error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Over_grpc_a_named_tool_that_is_not_offered_is_invalid_argument()
    {
        var request = new GenerateRequest { Model = HermesToolClusterFixture.ModelId, MaxTokens = 8, ToolChoice = new ToolChoice { Function = "nope" } };
        request.Messages.Add(new ChatMessage { Role = "user", Content = "x" });
        request.Tools.Add(new Tool { Name = "get_weather", Parameters = WeatherParameters });

        var e = await Assert.ThrowsAsync<RpcException>(async () => await cluster.GatewayClient.GenerateAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("'nope', which is not one of the tools", e.Status.Detail);
    }
}
