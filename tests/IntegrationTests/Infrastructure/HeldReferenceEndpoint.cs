using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// An OpenAI-compatible chat completions endpoint on a real loopback socket, standing in for a flagship reference:
/// it checks the bearer key, hands every request it receives to the test (<see cref="ReceiveAsync"/>), and answers
/// with <see cref="Answer"/> and a fixed usage, at once or, while <see cref="Hold"/> is on, only once
/// <see cref="Release"/> is called. <see cref="FailNext"/> makes it answer 500 with a body that echoes the key, as a
/// careless provider might.
/// </summary>
internal sealed class HeldReferenceEndpoint : IAsyncDisposable
{
    public const int PromptTokens = 7;
    public const int CompletionTokens = 11;

    private readonly WebApplication _app;
    private readonly Channel<(string Authorization, JsonElement Body)> _received = Channel.CreateUnbounded<(string, JsonElement)>();
    private readonly string _apiKey;
    private TaskCompletionSource _gate = Released();
    private int _failNext;

    private HeldReferenceEndpoint(WebApplication app, string apiKey)
    {
        _app = app;
        _apiKey = apiKey;
    }

    public string Answer { get; set; } = "Once upon a time there was a little girl named Lily.";

    public string BaseUrl { get; private set; } = "";

    public static async Task<HeldReferenceEndpoint> StartAsync(string apiKey)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var endpoint = new HeldReferenceEndpoint(app, apiKey);
        app.MapPost("/v1/chat/completions", endpoint.ServeAsync);
        await app.StartAsync();
        endpoint.BaseUrl = app.Urls.Single() + "/v1";
        return endpoint;
    }

    /// <summary>From now on, answers wait for <see cref="Release"/>.</summary>
    public void Hold() => Interlocked.Exchange(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Release() => Interlocked.Exchange(ref _gate, Released()).TrySetResult();

    /// <summary>Drops the requests received so far, so that <see cref="ReceiveAsync"/> sees only those that come next.</summary>
    public void Forget()
    {
        while (_received.Reader.TryRead(out _))
        {
        }
    }

    public void FailNext() => Interlocked.Exchange(ref _failNext, 1);

    /// <summary>The next request the endpoint received: its Authorization header and its JSON body.</summary>
    public async Task<(string Authorization, JsonElement Body)> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await _received.Reader.ReadAsync(cts.Token);
    }

    private async Task ServeAsync(HttpContext context)
    {
        var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body, cancellationToken: context.RequestAborted);
        var authorization = context.Request.Headers.Authorization.ToString();
        await _received.Writer.WriteAsync((authorization, body));
        if (authorization != "Bearer " + _apiKey)
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsJsonAsync(new { error = new { message = "bad key" } });
            return;
        }

        await Volatile.Read(ref _gate).Task.WaitAsync(context.RequestAborted);
        if (Interlocked.Exchange(ref _failNext, 0) == 1)
        {
            context.Response.StatusCode = 500;
            await context.Response.WriteAsJsonAsync(new { error = new { message = $"internal error for key {_apiKey}" } });
            return;
        }

        await context.Response.WriteAsJsonAsync(new
        {
            id = "chatcmpl-held",
            @object = "chat.completion",
            choices = new[] { new { index = 0, message = new { role = "assistant", content = Answer }, finish_reason = "stop" } },
            usage = new { prompt_tokens = PromptTokens, completion_tokens = CompletionTokens, total_tokens = PromptTokens + CompletionTokens },
        });
    }

    private static TaskCompletionSource Released()
    {
        var released = new TaskCompletionSource();
        released.SetResult();
        return released;
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
