using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

/// <summary>The OpenAI-compatible API on the gateway's HTTP port, as a plain HTTP client sees it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class OpenAiApiTests(ClusterFixture cluster) : IDisposable
{
    private const string Prompt = "Once upon a time";

    private readonly OpenAiHttpClient _client = new(cluster.Gateway.HttpAddress);

    public void Dispose() => _client.Dispose();

    private static string Chat(int maxTokens = 16, string extra = "") =>
        $$"""{"model":"{{ClusterFixture.ModelId}}","messages":[{"role":"user","content":"{{Prompt}}"}],"max_tokens":{{maxTokens}},"temperature":0{{extra}}}""";

    private static string Completion(int maxTokens = 16, string extra = "") =>
        $$"""{"model":"{{ClusterFixture.ModelId}}","prompt":"{{Prompt}}","max_tokens":{{maxTokens}},"temperature":0{{extra}}}""";

    private async Task<string> GrpcTextAsync(GenerateRequest request)
    {
        request.Sampling = new SamplingParams { Temperature = 0 };
        var response = await cluster.GatewayClient.GenerateAsync(request, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        return response.Text;
    }

    [Fact]
    public async Task Chat_completion_has_the_OpenAI_shape_and_the_text_the_gRPC_API_gives()
    {
        var response = await _client.PostAsync("/v1/chat/completions", Chat());

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("application/json", response.ContentType);
        var json = response.Json;
        Assert.StartsWith("chatcmpl-", json.GetProperty("id").GetString());
        Assert.Equal("chat.completion", json.GetProperty("object").GetString());
        Assert.InRange(json.GetProperty("created").GetInt64(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(ClusterFixture.ModelId, json.GetProperty("model").GetString());
        var choice = Assert.Single(json.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());

        var grpc = new GenerateRequest { Model = ClusterFixture.ModelId, MaxTokens = 16 };
        grpc.Messages.Add(new ChatMessage { Role = "user", Content = Prompt });
        Assert.Equal(await GrpcTextAsync(grpc), choice.GetProperty("message").GetProperty("content").GetString());

        var usage = json.GetProperty("usage");
        Assert.Equal(16, usage.GetProperty("completion_tokens").GetInt32());
        Assert.True(usage.GetProperty("prompt_tokens").GetInt32() > 0);
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + 16, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Completion_has_the_OpenAI_shape_and_the_text_the_gRPC_API_gives()
    {
        var response = await _client.PostAsync("/v1/completions", Completion());

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var json = response.Json;
        Assert.StartsWith("cmpl-", json.GetProperty("id").GetString());
        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        Assert.Equal(ClusterFixture.ModelId, json.GetProperty("model").GetString());
        var choice = Assert.Single(json.GetProperty("choices").EnumerateArray());
        Assert.Equal(await GrpcTextAsync(new GenerateRequest { Prompt = Prompt, MaxTokens = 16 }), choice.GetProperty("text").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(16, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Streamed_chat_opens_with_the_role_adds_up_to_the_whole_answer_and_ends_with_DONE()
    {
        var whole = (await _client.PostAsync("/v1/chat/completions", Chat())).Json;

        var (response, events) = await _client.StreamAsync("/v1/chat/completions", Chat(extra: ""","stream":true"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("[DONE]", events[^1].Data);
        var chunks = events.SkipLast(1).Select(e => e.Json).ToList();
        Assert.True(chunks.Count > 3, $"expected many chunks, got {chunks.Count}");
        Assert.All(chunks, c =>
        {
            Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString());
            Assert.Equal(chunks[0].GetProperty("id").GetString(), c.GetProperty("id").GetString());
            Assert.StartsWith("chatcmpl-", c.GetProperty("id").GetString());
            Assert.False(c.TryGetProperty("usage", out _), "usage is only sent when stream_options.include_usage asks for it");
        });

        var deltas = chunks.Select(c => Assert.Single(c.GetProperty("choices").EnumerateArray())).ToList();
        Assert.Equal("assistant", deltas[0].GetProperty("delta").GetProperty("role").GetString());
        var text = string.Concat(deltas.Select(d => d.GetProperty("delta").TryGetProperty("content", out var c) ? c.GetString() : ""));
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), text);
        Assert.All(deltas.SkipLast(1), d => Assert.Equal(JsonValueKind.Null, d.GetProperty("finish_reason").ValueKind));
        Assert.Equal("length", deltas[^1].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Streamed_chat_with_include_usage_sends_a_last_chunk_with_usage_and_no_choices()
    {
        var (_, events) = await _client.StreamAsync("/v1/chat/completions",
            Chat(extra: ""","stream":true,"stream_options":{"include_usage":true}"""));

        Assert.Equal("[DONE]", events[^1].Data);
        var usageChunk = events[^2].Json;
        Assert.Equal("chat.completion.chunk", usageChunk.GetProperty("object").GetString());
        Assert.Empty(usageChunk.GetProperty("choices").EnumerateArray());
        Assert.Equal(16, usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", events[^3].Json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Streamed_completion_adds_up_to_the_whole_text_and_include_usage_ends_with_usage()
    {
        var whole = (await _client.PostAsync("/v1/completions", Completion())).Json;

        var (response, events) = await _client.StreamAsync("/v1/completions",
            Completion(extra: ""","stream":true,"stream_options":{"include_usage":true}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[DONE]", events[^1].Data);
        var chunks = events.SkipLast(1).Select(e => e.Json).ToList();
        Assert.All(chunks, c => Assert.Equal("text_completion", c.GetProperty("object").GetString()));
        var choices = chunks.SkipLast(1).Select(c => Assert.Single(c.GetProperty("choices").EnumerateArray())).ToList();
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("text").GetString(), string.Concat(choices.Select(c => c.GetProperty("text").GetString())));
        Assert.Equal("length", choices[^1].GetProperty("finish_reason").GetString());
        var usage = chunks[^1];
        Assert.Empty(usage.GetProperty("choices").EnumerateArray());
        Assert.Equal(whole.GetProperty("usage").GetProperty("total_tokens").GetInt32(), usage.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Models_lists_the_served_model_and_each_model_can_be_fetched_by_id()
    {
        var list = await _client.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, list.Status);
        Assert.Equal("list", list.Json.GetProperty("object").GetString());
        var model = Assert.Single(list.Json.GetProperty("data").EnumerateArray());
        Assert.Equal(ClusterFixture.ModelId, model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.True(model.GetProperty("created").GetInt64() > 0);
        Assert.Equal(JsonValueKind.String, model.GetProperty("owned_by").ValueKind);

        var one = await _client.GetAsync($"/v1/models/{ClusterFixture.ModelId}");
        Assert.Equal(HttpStatusCode.OK, one.Status);
        Assert.Equal(ClusterFixture.ModelId, one.Json.GetProperty("id").GetString());

        var missing = await _client.GetAsync("/v1/models/gpt-9");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("model_not_found", missing.Error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_stop_string_ends_the_text_before_it_with_finish_reason_stop()
    {
        var free = (await _client.PostAsync("/v1/completions", Completion(maxTokens: 24))).Json.GetProperty("choices")[0].GetProperty("text").GetString()!;
        var stop = free.Trim().Split(' ')[2];

        foreach (var stopJson in new[] { JsonSerializer.Serialize(stop), $"[\"zzzz\",{JsonSerializer.Serialize(stop)}]" })
        {
            var response = await _client.PostAsync("/v1/completions", Completion(maxTokens: 24, extra: $",\"stop\":{stopJson}"));

            Assert.Equal(HttpStatusCode.OK, response.Status);
            var choice = response.Json.GetProperty("choices")[0];
            Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
            Assert.Equal(free[..free.IndexOf(stop, StringComparison.Ordinal)], choice.GetProperty("text").GetString());
        }
    }

    [Fact]
    public async Task A_prompt_array_of_one_string_unknown_fields_and_text_parts_are_accepted_as_OpenAI_clients_send_them()
    {
        var expected = await GrpcTextAsync(new GenerateRequest { Prompt = Prompt, MaxTokens = 8 });

        var completion = await _client.PostAsync("/v1/completions",
            $$$"""{"prompt":["{{{Prompt}}}"],"max_tokens":8,"temperature":0,"frequency_penalty":0,"logit_bias":{},"best_of":1,"n":1,"future_field":{"nested":[1,2]}}""");
        var chat = await _client.PostAsync("/v1/chat/completions",
            $$"""{"messages":[{"role":"developer","content":"Tell a story."},{"role":"user","content":[{"type":"text","text":"Once upon"},{"type":"text","text":" a time"}],"name":"kid"}],"max_completion_tokens":4,"temperature":0,"tools":[],"response_format":{"type":"text"},"user":"u-1","seed":42}""");

        Assert.Equal(HttpStatusCode.OK, completion.Status);
        Assert.Equal(expected, completion.Json.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.OK, chat.Status);
        Assert.Equal(4, chat.Json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Ignore_eos_keeps_generating_to_max_tokens()
    {
        var response = await _client.PostAsync("/v1/completions", Completion(maxTokens: 300, extra: ""","ignore_eos":true"""));

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(300, response.Json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", response.Json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    public static TheoryData<string, string, string?, string> BadRequests => new()
    {
        // path, body, param, words the message must contain
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}""", null, "not valid JSON" },
        { "/v1/completions", "not json at all", null, "not valid JSON" },
        { "/v1/completions", "", null, "empty" },
        { "/v1/completions", "[1,2]", null, "not valid JSON" },
        { "/v1/completions", """{"prompt":"hi","max_tokens":"ten"}""", "max_tokens", "wrong type" },
        { "/v1/chat/completions", """{"messages":"hi"}""", "messages", "wrong type" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"n":2}""", "n", "only 1" },
        { "/v1/chat/completions", """{"messages":[{"role":"critic","content":"hi"}]}""", null, "role is 'critic'" },
        { "/v1/chat/completions", """{"model":"stories260K"}""", "messages", "'messages' is required" },
        { "/v1/chat/completions", """{"messages":[]}""", "messages", "empty" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""", "messages[0].content[0]", "text part" },
        { "/v1/completions", """{"prompt":[1,2,3]}""", "prompt", "token ids" },
        { "/v1/completions", """{"prompt":["a","b"]}""", "prompt", "one string" },
        { "/v1/completions", """{"prompt":"hi","max_tokens":100000}""", null, "max_tokens" },
        { "/v1/completions", """{"prompt":"hi","max_tokens":0}""", "max_tokens", "at least 1" },
        { "/v1/completions", """{"prompt":"hi","temperature":-1}""", null, "temperature" },
        { "/v1/completions", """{"prompt":"hi","stop":["1","2","3","4","5","6","7","8","9"]}""", null, "stop strings" },
        { "/v1/completions", """{"prompt":"hi","stop":[1]}""", "stop[0]", "strings" },
        { "/v1/completions", """{"prompt":"hi\ud800"}""", "prompt", "not valid text" },
        { "/v1/completions", """{"prompt":"hi","model":"\udc00"}""", "model", "not valid text" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"top_logprobs":2}""", "top_logprobs", "'logprobs': true" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":21}""", "top_logprobs", "between 0 and 20" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"logprobs":3}""", "logprobs", "wrong type" },
        { "/v1/completions", """{"prompt":"hi","logprobs":6}""", "logprobs", "between 0 and 5" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}""", "tool_choice", "not one of the tools" },
        { "/v1/completions", """{"prompt":"hi","tools":[{"type":"function","function":{"name":"f"}}]}""", "tools", "/v1/chat/completions" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"logit_bias":{"42":500}}""", "logit_bias", "between -100 and 100" },
        { "/v1/completions", """{"prompt":"hi","presence_penalty":2.5}""", "presence_penalty", "between -2 and 2" },
        { "/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"frequency_penalty":-3}""", "frequency_penalty", "between -2 and 2" },
        { "/v1/completions", """{"prompt":"hi","repeat_penalty":0}""", "repeat_penalty", "more than 0" },
        { "/v1/completions", """{"prompt":"hi","repeat_penalty":1.1,"repeat_last_n":-2}""", "repeat_last_n", "-1 for the whole answer" },
        { "/v1/completions", """{"prompt":"hi","min_p":0.05}""", "min_p", "min-p" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_is_400_with_an_OpenAI_error_naming_what_to_fix(string path, string body, string? param, string expected)
    {
        var response = await _client.PostAsync(path, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        var error = response.Error;
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains(expected, error.GetProperty("message").GetString());
        if (param is not null)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }
    }

    [Fact]
    public async Task Too_many_messages_and_too_long_a_prompt_are_400_saying_the_limit()
    {
        var messages = string.Join(',', Enumerable.Repeat("""{"role":"user","content":"hi"}""", 300));
        var many = await _client.PostAsync("/v1/chat/completions", $$"""{"messages":[{{messages}}]}""");
        var longPrompt = await _client.PostAsync("/v1/completions", $$"""{"prompt":"{{new string('a', 40_000)}}"}""");

        Assert.Equal(HttpStatusCode.BadRequest, many.Status);
        Assert.Contains("300 messages; the limit is 256", many.Error.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, longPrompt.Status);
        Assert.Contains("40000 characters; the limit is 32768", longPrompt.Error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_prompt_with_more_tokens_than_the_models_context_is_400_from_the_worker()
    {
        // Under the gateway's character limit, but each word is a token: the worker counts them against its context.
        var prompt = string.Join(' ', Enumerable.Repeat("dog", 6000));

        var response = await _client.PostAsync("/v1/completions", $$"""{"prompt":"{{prompt}}","max_tokens":1}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("invalid_request_error", response.Error.GetProperty("type").GetString());
        Assert.Contains("token", response.Error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_body_that_is_not_UTF8_is_400_naming_the_byte()
    {
        var body = Encoding.UTF8.GetBytes("""{"prompt":"Once upon a time X"}""");
        body[^3] = 0xFF;

        var response = await _client.PostAsync("/v1/completions", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains("not valid UTF-8", response.Error.GetProperty("message").GetString());
        Assert.Contains("0xFF", response.Error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_unknown_model_is_404_naming_the_served_ones()
    {
        var response = await _client.PostAsync("/v1/chat/completions", """{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(HttpStatusCode.NotFound, response.Status);
        Assert.Equal("model_not_found", response.Error.GetProperty("code").GetString());
        Assert.Equal("model", response.Error.GetProperty("param").GetString());
        Assert.Contains(ClusterFixture.ModelId, response.Error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_413_and_the_gateway_keeps_serving()
    {
        var huge = $$"""{"prompt":"{{new string('a', 2 * 1024 * 1024)}}"}""";

        // Each time the answer, not a broken pipe: the gateway takes in the rest of the body before it answers (when it
        // answered first and closed, about one client in five was still sending and lost the 413).
        for (var i = 0; i < 20; i++)
        {
            var response = await _client.PostAsync("/v1/completions", huge);

            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.Status);
            Assert.Equal("request_too_large", response.Error.GetProperty("code").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsync("/v1/completions", Completion(maxTokens: 2))).Status);
    }

    [Fact]
    public async Task An_unknown_path_or_method_under_v1_is_404_with_an_OpenAI_error()
    {
        var unknown = await _client.PostAsync("/v1/images/generations", """{"prompt":"hi"}""");
        var wrongMethod = await _client.GetAsync("/v1/chat/completions");

        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("unknown_url", unknown.Error.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, wrongMethod.Status);
        Assert.Contains("POST /v1/chat/completions", wrongMethod.Error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Chat_logprobs_have_OpenAIs_shape_and_are_null_when_not_asked()
    {
        var asked = (await _client.PostAsync("/v1/chat/completions", Chat(maxTokens: 6, extra: ""","logprobs":true,"top_logprobs":2"""))).Json;
        var plain = (await _client.PostAsync("/v1/chat/completions", Chat(maxTokens: 6))).Json;

        Assert.Equal(JsonValueKind.Null, plain.GetProperty("choices")[0].GetProperty("logprobs").ValueKind);
        var choice = asked.GetProperty("choices")[0];
        var content = choice.GetProperty("logprobs").GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(6, content.Count);
        var bytes = new List<byte>();
        foreach (var entry in content)
        {
            Assert.Equal(JsonValueKind.String, entry.GetProperty("token").ValueKind);
            Assert.True(entry.GetProperty("logprob").GetDouble() <= 0);
            var tokenBytes = entry.GetProperty("bytes").EnumerateArray().Select(b => b.GetByte()).ToArray();
            Assert.Equal(entry.GetProperty("token").GetString(), Encoding.UTF8.GetString(tokenBytes));
            bytes.AddRange(tokenBytes);
            var top = entry.GetProperty("top_logprobs").EnumerateArray().ToList();
            Assert.Equal(2, top.Count);
            Assert.Equal(entry.GetProperty("token").GetString(), top[0].GetProperty("token").GetString());
            Assert.True(top[0].GetProperty("logprob").GetDouble() >= top[1].GetProperty("logprob").GetDouble());
        }

        Assert.Equal(choice.GetProperty("message").GetProperty("content").GetString(), Encoding.UTF8.GetString(bytes.ToArray()));
    }

    [Fact]
    public async Task Completion_logprobs_have_the_legacy_shape_whole_and_streamed()
    {
        const string extra = ""","logprobs":2""";
        var whole = (await _client.PostAsync("/v1/completions", Completion(maxTokens: 8, extra: extra))).Json;
        var (_, events) = await _client.StreamAsync("/v1/completions", Completion(maxTokens: 8, extra: extra + ""","stream":true"""));

        var choice = whole.GetProperty("choices")[0];
        var text = choice.GetProperty("text").GetString()!;
        var logprobs = choice.GetProperty("logprobs");
        var tokens = logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
        var tokenLogprobs = logprobs.GetProperty("token_logprobs").EnumerateArray().Select(l => l.GetDouble()).ToList();
        var top = logprobs.GetProperty("top_logprobs").EnumerateArray().ToList();
        var offsets = logprobs.GetProperty("text_offset").EnumerateArray().Select(o => o.GetInt32()).ToList();
        Assert.Equal(8, tokens.Count);
        Assert.Equal(text, string.Concat(tokens));
        Assert.Equal(8, tokenLogprobs.Count);
        Assert.All(tokenLogprobs, l => Assert.True(l <= 0));
        // Offsets: where each token starts in the text.
        Assert.Equal(tokens.Select((_, i) => tokens.Take(i).Sum(t => t.Length)), offsets);
        for (var i = 0; i < tokens.Count; i++)
        {
            // The two most likely tokens (greedy picked the first), by text.
            var alternatives = top[i].EnumerateObject().ToList();
            Assert.Equal(2, alternatives.Count);
            Assert.Equal(tokens[i], alternatives[0].Name);
            Assert.Equal(tokenLogprobs[i], alternatives[0].Value.GetDouble(), 5);
        }

        // Streamed: each chunk's tokens are its text, offsets run on across chunks, and the finish chunk has none.
        var chunks = events.SkipLast(1).Select(e => e.Json.GetProperty("choices")[0]).ToList();
        Assert.Equal(JsonValueKind.Null, chunks[^1].GetProperty("logprobs").ValueKind);
        var pieces = chunks.SkipLast(1).ToList();
        Assert.All(pieces, c => Assert.Equal(c.GetProperty("text").GetString(),
            string.Concat(c.GetProperty("logprobs").GetProperty("tokens").EnumerateArray().Select(t => t.GetString()))));
        Assert.Equal(tokens, pieces.SelectMany(c => c.GetProperty("logprobs").GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!)));
        Assert.Equal(offsets, pieces.SelectMany(c => c.GetProperty("logprobs").GetProperty("text_offset").EnumerateArray().Select(o => o.GetInt32())));
    }

    [Fact]
    public async Task Streamed_chat_chunks_carry_the_logprobs_of_their_delta()
    {
        var (_, events) = await _client.StreamAsync("/v1/chat/completions", Chat(maxTokens: 8, extra: ""","logprobs":true,"stream":true"""));

        var choices = events.SkipLast(1).Select(e => e.Json.GetProperty("choices")[0]).ToList();
        Assert.Equal(JsonValueKind.Null, choices[0].GetProperty("logprobs").ValueKind); // the role chunk
        Assert.Equal(JsonValueKind.Null, choices[^1].GetProperty("logprobs").ValueKind); // the finish chunk
        var deltas = choices.Skip(1).SkipLast(1).ToList();
        Assert.All(deltas, d => Assert.Equal(d.GetProperty("delta").GetProperty("content").GetString(),
            string.Concat(d.GetProperty("logprobs").GetProperty("content").EnumerateArray().Select(e => e.GetProperty("token").GetString()))));
        Assert.Equal(8, deltas.Sum(d => d.GetProperty("logprobs").GetProperty("content").GetArrayLength()));
    }
}
