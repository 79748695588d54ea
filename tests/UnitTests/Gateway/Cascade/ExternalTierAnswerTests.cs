using System.Net;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SlmCluster.Gateway.Api.Grpc;
using SlmCluster.Gateway.Cascade;
using SlmCluster.Protocol.V1;

namespace SlmCluster.UnitTests.Gateway.Cascade;

/// <summary>
/// What the gateway makes of an external tier's answers, from an OpenAI-compatible endpoint on loopback that answers
/// each test's way: a stream relayed chunk by chunk and closed with its usage and price, one JSON body read whole, and
/// every failure an UNAVAILABLE that names the route, the tier and what the endpoint said.
/// </summary>
public sealed class ExternalTierAnswerTests : IAsyncLifetime
{
    private const double InputPrice = 2, OutputPrice = 10;

    private readonly ServiceProvider _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
    private WebApplication _provider = null!;
    private Func<HttpContext, Task> _answer = _ => Task.CompletedTask;
    private string _baseUrl = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _provider = builder.Build();
        _provider.MapPost("/v1/chat/completions", context => _answer(context));
        await _provider.StartAsync();
        _baseUrl = _provider.Urls.Single() + "/v1";
    }

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _services.DisposeAsync();
    }

    /// <summary>The endpoint answers with these server-sent events, each a <c>data:</c> line unless it has its own fields.</summary>
    private void Streams(params string[] events) => _answer = async context =>
    {
        context.Response.ContentType = "text/event-stream";
        foreach (var e in events)
        {
            await context.Response.WriteAsync((e.StartsWith("event:", StringComparison.Ordinal) ? e : "data: " + e) + "\n\n");
            await context.Response.Body.FlushAsync();
        }
    };

    private void Answers(int status, string contentType, string body) => _answer = async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(body);
    };

    private async Task<List<GenerateChunk>> AskAsync()
    {
        var route = new CascadeRoute("auto", new CascadeRouteOptions
        {
            Tiers =
            [
                new CascadeTierOptions { Name = "small", Model = "small-model", Accept = new CascadeAcceptOptions() },
                new CascadeTierOptions
                {
                    Name = "flagship",
                    External = new ExternalTierOptions
                    {
                        BaseUrl = _baseUrl, Model = "big-model", ApiKey = "sk-test-key-0123",
                        InputUsdPerMillionTokens = InputPrice, OutputUsdPerMillionTokens = OutputPrice,
                    },
                },
            ],
        });
        var client = new ExternalTierClient(_services.GetRequiredService<IHttpClientFactory>());
        var chunks = new List<GenerateChunk>();
        await foreach (var chunk in client.StreamAsync(route, route.LastTier, GrpcRequestMapper.ToServingRequest(new GenerateRequest { Model = "big-model", Prompt = "Once" }), CancellationToken.None))
        {
            chunks.Add(chunk);
        }

        return chunks;
    }

    [Fact]
    public async Task A_streamed_answer_is_relayed_chunk_by_chunk_and_closed_with_its_usage_and_price()
    {
        Streams(
            """{"choices":[{"index":0,"delta":{"role":"assistant"}}]}""",
            """{"choices":[{"index":0,"delta":{"content":" upon"}}]}""",
            """{"choices":[{"index":0,"delta":{"content":" a time"},"finish_reason":"length"}],"usage":null}""",
            """{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}""",
            "[DONE]");

        var chunks = await AskAsync();

        Assert.Equal([" upon", " a time"], chunks.SkipLast(1).Select(c => c.Text));
        var closing = chunks[^1];
        Assert.Equal(FinishReason.Length, closing.FinishReason);
        Assert.Equal((12, 3), (closing.Usage.PromptTokens, closing.Usage.CompletionTokens));
        Assert.Equal("big-model", closing.Served.Model);
        Assert.Equal((12 * InputPrice + 3 * OutputPrice) / 1_000_000, closing.Served.CostUsd, precision: 15);
    }

    [Fact]
    public async Task An_endpoint_that_answers_with_one_JSON_body_is_read_whole()
    {
        Answers(200, "application/json",
            """{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":2}}""");

        var chunks = await AskAsync();

        Assert.Equal("Hello there", Assert.Single(chunks, c => c.Usage is null).Text);
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
        Assert.Equal((4, 2), (chunks[^1].Usage.PromptTokens, chunks[^1].Usage.CompletionTokens));
    }

    [Fact]
    public async Task An_HTTP_error_is_unavailable_with_its_status_and_the_endpoints_message()
    {
        Answers(429, "application/json", """{"error":{"message":"Rate limit reached for big-model","type":"rate_limit_error"}}""");

        var e = await Assert.ThrowsAsync<RpcException>(AskAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.StartsWith("Cascade route 'auto', tier 2 'flagship' (external model 'big-model'", e.Status.Detail);
        Assert.Contains("answered HTTP 429 Too Many Requests: Rate limit reached for big-model", e.Status.Detail);
    }

    [Fact]
    public async Task An_error_event_in_the_stream_is_unavailable_with_the_endpoints_message_and_how_far_it_got()
    {
        Streams(
            """{"choices":[{"index":0,"delta":{"content":"Once"}}]}""",
            "event: error\ndata: {\"error\":{\"message\":\"The server is overloaded\"}}");

        var e = await Assert.ThrowsAsync<RpcException>(AskAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("reported an error after 1 chunks: The server is overloaded", e.Status.Detail);
    }

    [Fact]
    public async Task A_stream_that_ends_before_it_finishes_is_unavailable_as_an_incomplete_answer()
    {
        Streams("""{"choices":[{"index":0,"delta":{"content":"Once"}}]}""");

        var e = await Assert.ThrowsAsync<RpcException>(AskAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("ended its stream after 1 chunks without finishing; the answer is incomplete", e.Status.Detail);
    }

    [Fact]
    public async Task A_body_that_is_not_a_chat_completion_is_unavailable_saying_so()
    {
        Answers(200, "application/json", """{"object":"list","data":[]}""");

        var e = await Assert.ThrowsAsync<RpcException>(AskAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("answered with a body that is not a chat completion", e.Status.Detail);
    }

    [Fact]
    public async Task The_endpoint_gets_the_key_as_a_bearer_token_and_asks_for_a_stream()
    {
        string? authorization = null, accept = null, body = null;
        _answer = async context =>
        {
            authorization = context.Request.Headers.Authorization;
            accept = context.Request.Headers.Accept;
            body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync();
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync("data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
        };

        await AskAsync();

        Assert.Equal("Bearer sk-test-key-0123", authorization);
        Assert.Equal("text/event-stream", accept);
        Assert.Contains("\"stream\":true", body);
    }
}
