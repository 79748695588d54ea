using System.Text.Json;
using SlmCluster.Gateway.Api.Grpc;
using SlmCluster.Gateway.Cascade;
using SlmCluster.Protocol.V1;

namespace SlmCluster.UnitTests.Gateway.Cascade;

/// <summary>What the gateway sends an external tier: an OpenAI chat completion request, streamed with usage.</summary>
public sealed class ExternalTierRequestTests
{
    [Fact]
    public void A_raw_prompt_is_sent_as_one_user_message_streamed_with_usage_and_the_requests_sampling()
    {
        var request = new GenerateRequest
        {
            Model = "auto",
            Prompt = "Once upon a time",
            MaxTokens = 32,
            Stop = { "\n\n" },
            Sampling = new SamplingParams { Temperature = 0.5f, TopP = 0.9f, TopK = 40, Seed = 7 },
        };

        using var body = JsonDocument.Parse(ExternalTierClient.Body("big-model", GrpcRequestMapper.ToServingRequest(request).Call));
        var json = body.RootElement;

        Assert.Equal("big-model", json.GetProperty("model").GetString());
        var message = Assert.Single(json.GetProperty("messages").EnumerateArray());
        Assert.Equal(("user", "Once upon a time"), (message.GetProperty("role").GetString(), message.GetProperty("content").GetString()));
        Assert.Equal(32, json.GetProperty("max_tokens").GetInt32());
        Assert.Equal(0.5, json.GetProperty("temperature").GetDouble(), precision: 6);
        Assert.Equal(0.9, json.GetProperty("top_p").GetDouble(), precision: 6);
        Assert.Equal(7, json.GetProperty("seed").GetInt64());
        Assert.Equal(["\n\n"], json.GetProperty("stop").EnumerateArray().Select(s => s.GetString()));
        Assert.True(json.GetProperty("stream").GetBoolean());
        Assert.True(json.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        // Not OpenAI's: left out rather than refused by a strict provider.
        Assert.False(json.TryGetProperty("top_k", out _));
    }

    [Fact]
    public void Chat_turns_are_sent_as_they_are_and_a_greedy_request_says_temperature_0()
    {
        var request = new GenerateRequest
        {
            Model = "auto",
            Messages = { new ChatMessage { Role = "system", Content = "Be brief." }, new ChatMessage { Role = "user", Content = "Hi" } },
        };

        using var body = JsonDocument.Parse(ExternalTierClient.Body("big-model", GrpcRequestMapper.ToServingRequest(request).Call));
        var json = body.RootElement;

        Assert.Equal([("system", "Be brief."), ("user", "Hi")],
            json.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())));
        Assert.Equal(0, json.GetProperty("temperature").GetDouble());
        Assert.False(json.TryGetProperty("max_tokens", out _));
        Assert.False(json.TryGetProperty("top_p", out _));
    }
}
