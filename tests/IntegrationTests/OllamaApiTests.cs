using System.Net;
using System.Text.Json;
using SlmCluster.IntegrationTests.Infrastructure;

namespace SlmCluster.IntegrationTests;

/// <summary>The Ollama API on the gateway's HTTP port as a plain HTTP client sees it: NDJSON lines, Ollama's fields, Ollama's errors.</summary>
[Collection(ClusterCollection.Name)]
public sealed class OllamaApiTests(ClusterFixture cluster)
{
    private const string Options = """{"temperature": 0, "num_predict": 8}""";

    private static readonly string Generate =
        $$"""{"model": "{{ClusterFixture.ModelId}}", "prompt": "Once upon a time", "raw": true, "options": {{Options}}""";

    [Fact]
    public async Task The_root_tells_an_Ollama_client_that_Ollama_is_running_and_shows_a_browser_the_dashboard()
    {
        using var http = new HttpClient { BaseAddress = cluster.Gateway.HttpAddress };
        Assert.Equal("Ollama is running", await http.GetStringAsync("/"));

        using var browser = new HttpRequestMessage(HttpMethod.Get, "/");
        browser.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,*/*;q=0.8");
        using var page = await http.SendAsync(browser);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_streamed_generate_is_NDJSON_that_adds_up_to_the_whole_answer_and_closes_with_counts_in_nanoseconds()
    {
        using var client = new OpenAiHttpClient(cluster.Gateway.HttpAddress);
        var whole = await client.PostAsync("/api/generate", Generate + """, "stream": false}""");
        Assert.Equal(HttpStatusCode.OK, whole.Status);

        using var response = await client.PostStreamingAsync("/api/generate", Generate + "}");
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement).ToList();

        Assert.True(lines.Count > 2, "the answer came in one piece");
        Assert.All(lines[..^1], line => Assert.False(line.GetProperty("done").GetBoolean()));
        Assert.All(lines, line => Assert.Equal(ClusterFixture.ModelId, line.GetProperty("model").GetString()));
        Assert.All(lines, line => Assert.True(DateTimeOffset.TryParse(line.GetProperty("created_at").GetString(), out _)));
        var last = lines[^1];
        Assert.True(last.GetProperty("done").GetBoolean());
        Assert.Equal("length", last.GetProperty("done_reason").GetString());
        Assert.Equal(8, last.GetProperty("eval_count").GetInt32());
        Assert.True(last.GetProperty("prompt_eval_count").GetInt32() > 0);
        var total = last.GetProperty("total_duration").GetInt64();
        var evaluating = last.GetProperty("prompt_eval_duration").GetInt64() + last.GetProperty("eval_duration").GetInt64();
        // Nanoseconds: a generation of 8 tokens takes more than 1000 of them, and the worker's part fits in the whole.
        Assert.InRange(evaluating, 1000, total);
        Assert.Equal(0, last.GetProperty("load_duration").GetInt64());

        Assert.Equal(whole.Json.GetProperty("response").GetString(), string.Concat(lines.Select(l => l.GetProperty("response").GetString())));
        Assert.Equal(8, whole.Json.GetProperty("eval_count").GetInt32());
        Assert.True(whole.Json.GetProperty("done").GetBoolean());
    }

    [Fact]
    public async Task A_model_named_with_latest_is_the_model_and_the_answer_keeps_the_name_the_client_sent()
    {
        using var client = new OpenAiHttpClient(cluster.Gateway.HttpAddress);
        var chat = await client.PostAsync("/api/chat", $$"""
            {"model": "{{ClusterFixture.ModelId}}:latest", "stream": false, "options": {{Options}},
             "messages": [{"role": "system", "content": "Tell a story."}, {"role": "user", "content": "Once upon a time"}]}
            """);

        Assert.Equal(HttpStatusCode.OK, chat.Status);
        Assert.Equal(ClusterFixture.ModelId + ":latest", chat.Json.GetProperty("model").GetString());
        Assert.Equal("assistant", chat.Json.GetProperty("message").GetProperty("role").GetString());
        Assert.False(string.IsNullOrEmpty(chat.Json.GetProperty("message").GetProperty("content").GetString()));
        Assert.Equal(8, chat.Json.GetProperty("eval_count").GetInt32());
    }

    [Fact]
    public async Task A_request_with_nothing_to_generate_loads_the_model_as_Ollama_answers_it()
    {
        using var client = new OpenAiHttpClient(cluster.Gateway.HttpAddress);
        var loaded = await client.PostAsync("/api/generate", $$"""{"model": "{{ClusterFixture.ModelId}}", "keep_alive": "10m", "stream": false}""");

        Assert.Equal(HttpStatusCode.OK, loaded.Status);
        Assert.True(loaded.Json.GetProperty("done").GetBoolean());
        Assert.Equal("load", loaded.Json.GetProperty("done_reason").GetString());
    }

    [Fact]
    public async Task Format_json_answers_with_JSON()
    {
        using var client = new OpenAiHttpClient(cluster.Gateway.HttpAddress);
        var answer = await client.PostAsync("/api/generate",
            """{"model": "stories260K", "prompt": "Data:", "raw": true, "format": "json", "stream": false, "options": {"temperature": 0, "num_predict": 48}}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var text = answer.Json.GetProperty("response").GetString()!;
        if (answer.Json.GetProperty("done_reason").GetString() == "stop")
        {
            using var parsed = JsonDocument.Parse(text);
            Assert.Equal(JsonValueKind.Object, parsed.RootElement.ValueKind);
        }
        else
        {
            Assert.StartsWith("{", text.TrimStart(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_chat_with_tools_answers_in_text_or_in_whole_calls_and_reads_earlier_calls_and_results()
    {
        const string Weather = """{"type": "object", "properties": {"city": {"type": "string", "maxLength": 10}, "unit": {"enum": ["c", "f"]}}, "required": ["city", "unit"]}""";
        const string History = """
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}}]},
            {"role": "tool", "tool_name": "get_weather", "content": "{\"temp\": 21}"},
            """;
        string Body(string history, bool stream) => $$$"""
            {"model": "{{{ClusterFixture.ModelId}}}", "stream": {{{(stream ? "true" : "false")}}}, "options": {"temperature": 0, "num_predict": 24},
             "tools": [{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city.", "parameters": {{{Weather}}}}}],
             "messages": [{{{history}}} {"role": "user", "content": "And in Rome?"}]}
            """;
        using var client = new OpenAiHttpClient(cluster.Gateway.HttpAddress);

        var alone = await client.PostAsync("/api/chat", Body("", stream: false));
        var whole = await client.PostAsync("/api/chat", Body(History, stream: false));
        using var streamed = await client.PostStreamingAsync("/api/chat", Body(History, stream: true));
        var lines = (await streamed.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

        Assert.Equal(HttpStatusCode.OK, whole.Status);
        // The call and its result are in the prompt.
        Assert.True(whole.Json.GetProperty("prompt_eval_count").GetInt32() > alone.Json.GetProperty("prompt_eval_count").GetInt32() + 20);
        var message = whole.Json.GetProperty("message");
        if (message.TryGetProperty("tool_calls", out var calls))
        {
            // The model chose to call: whole calls of the tool offered, arguments an object that validates.
            Assert.All(calls.EnumerateArray(), call =>
            {
                Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
                Assert.Null(SlmCluster.Testing.SchemaValidator.Problem(Weather, call.GetProperty("function").GetProperty("arguments").GetRawText()));
            });
        }
        else
        {
            Assert.False(string.IsNullOrEmpty(message.GetProperty("content").GetString()));
            Assert.DoesNotContain("tool_calls", message.GetProperty("content").GetString(), StringComparison.Ordinal);
        }

        // Greedy: the stream is the same answer, its calls (if any) in lines of their own before the closing one.
        Assert.True(lines[^1].GetProperty("done").GetBoolean());
        Assert.Equal(message.GetProperty("content").GetString(), string.Concat(lines.Select(l => l.GetProperty("message").GetProperty("content").GetString())));
        Assert.Equal(calls.ValueKind == JsonValueKind.Array ? calls.GetArrayLength() : 0,
            lines.Sum(l => l.GetProperty("message").TryGetProperty("tool_calls", out var c) ? c.GetArrayLength() : 0));
    }

    [Theory]
    [InlineData("/api/generate", """{"model": "no-such-model", "prompt": "Once"}""", HttpStatusCode.NotFound, "stories260K")]
    [InlineData("/api/show", """{"model": "no-such-model"}""", HttpStatusCode.NotFound, "no-such-model")]
    [InlineData("/api/generate", """{"model": "stories260K", "prompt": "Once""", HttpStatusCode.BadRequest, "not valid JSON")]
    [InlineData("/api/chat", """{"model": "stories260K", "messages": {"role": "user"}}""", HttpStatusCode.BadRequest, "messages")]
    [InlineData("/api/generate", """{"prompt": "Once"}""", HttpStatusCode.BadRequest, "'model' is required")]
    [InlineData("/api/generate", """{"model": "stories260K", "prompt": "Once", "options": {"num_gqa": 8}}""", HttpStatusCode.BadRequest, "options.num_gqa")]
    [InlineData("/api/generate", """{"model": "stories260K", "prompt": "Once", "options": {"repeat_penalty": 0}}""", HttpStatusCode.BadRequest, "repeat_penalty")]
    [InlineData("/api/generate", """{"model": "stories260K", "prompt": "Once", "options": {"num_ctx": 16}}""", HttpStatusCode.BadRequest, "options.num_ctx is 16")]
    [InlineData("/api/generate", """{"model": "stories260K", "prompt": "Once", "template": "{{ .Prompt }}"}""", HttpStatusCode.BadRequest, "'template'")]
    [InlineData("/api/generate", """{"model": "stories260K", "prompt": "Once", "images": ["aGk="]}""", HttpStatusCode.BadRequest, "images")]
    [InlineData("/api/generate", """{"model": "stories260K", "prompt": "Once", "format": "yaml"}""", HttpStatusCode.BadRequest, "'format'")]
    [InlineData("/api/chat", """{"model": "stories260K", "messages": [{"role": "user", "content": "Hi"}], "tools": [{"type": "function", "function": {"name": "f"}}], "format": "json"}""",
        HttpStatusCode.BadRequest, "'tools' is sent together with 'format'")]
    [InlineData("/api/chat", """{"model": "stories260K", "messages": [{"role": "user", "content": "Hi"}], "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "not": {}}}}]}""",
        HttpStatusCode.BadRequest, "'not'")]
    [InlineData("/api/pull", """{"model": "llama3"}""", HttpStatusCode.Forbidden, "declared in the cluster's AppHost")]
    [InlineData("/api/embed", """{"model": "stories260K"}""", HttpStatusCode.BadRequest, "'input' is required")]
    [InlineData("/api/embed", """{"model": "stories260K", "input": [1, 2]}""", HttpStatusCode.BadRequest, "input[0] is not a string")]
    [InlineData("/api/embed", """{"model": "no-such-model", "input": "hi"}""", HttpStatusCode.NotFound, "no-such-model")]
    [InlineData("/api/embeddings", """{"model": "stories260K"}""", HttpStatusCode.BadRequest, "'prompt' is required")]
    [InlineData("/api/embeddings/nothing", """{}""", HttpStatusCode.NotFound, "No endpoint POST /api/embeddings/nothing")]
    public async Task A_bad_request_is_refused_with_its_status_and_an_Ollama_error_that_says_what_is_wrong(string path, string body, HttpStatusCode status, string says)
    {
        using var client = new OpenAiHttpClient(cluster.Gateway.HttpAddress);
        var response = await client.PostAsync(path, body);

        Assert.Equal(status, response.Status);
        var error = Assert.Single(response.Json.EnumerateObject());
        Assert.Equal("error", error.Name);
        Assert.Contains(says, error.Value.GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tags_ps_and_show_describe_the_served_model_by_its_Ollama_name()
    {
        using var client = new OpenAiHttpClient(cluster.Gateway.HttpAddress);
        var tags = await client.GetAsync("/api/tags");
        var ps = await client.GetAsync("/api/ps");
        var show = await client.PostAsync("/api/show", $$"""{"name": "{{ClusterFixture.ModelId}}"}""");
        var version = await client.GetAsync("/api/version");

        var model = Assert.Single(tags.Json.GetProperty("models").EnumerateArray());
        Assert.Equal(ClusterFixture.ModelId + ":latest", model.GetProperty("name").GetString());
        Assert.Equal("gguf", model.GetProperty("details").GetProperty("format").GetString());
        Assert.True(model.GetProperty("size").GetInt64() > 0);
        Assert.Equal(64, model.GetProperty("digest").GetString()!.Length);
        Assert.Equal(ClusterFixture.ModelId + ":latest", Assert.Single(ps.Json.GetProperty("models").EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, show.Status);
        Assert.Contains("completion", show.Json.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        Assert.True(show.Json.GetProperty("model_info").GetProperty("general.parameter_count").GetInt64() > 0);
        Assert.Matches(@"^\d+\.\d+\.\d+$", version.Json.GetProperty("version").GetString());
    }
}
