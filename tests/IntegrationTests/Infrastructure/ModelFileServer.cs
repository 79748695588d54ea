using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// A Kestrel server on 127.0.0.1 that serves one file in the Hugging Face hub's layout
/// (<c>/owner/repo/resolve/main/file</c>) with HTTP Range support, and can break off a transfer half way.
/// </summary>
internal sealed class ModelFileServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly byte[] _content;
    private int _breaksLeft;

    private ModelFileServer(WebApplication app, byte[] content)
    {
        _app = app;
        _content = content;
    }

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Each request's Range header ("" when it had none), in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The next <paramref name="count"/> transfers stop after half of what they announced, and the connection is dropped.</summary>
    public void BreakNextTransfers(int count) => _breaksLeft = count;

    public static async Task<ModelFileServer> StartAsync(string path, string servedAs)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new ModelFileServer(app, await File.ReadAllBytesAsync(path));
        app.MapGet($"/{servedAs}", (RequestDelegate)server.ServeAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address);
        return server;
    }

    private async Task ServeAsync(HttpContext context)
    {
        var range = context.Request.Headers.Range.ToString();
        Requests.Enqueue(range);
        long from = 0;
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            from = long.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
            if (from >= _content.Length)
            {
                context.Response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                return;
            }

            context.Response.StatusCode = StatusCodes.Status206PartialContent;
            context.Response.Headers.ContentRange = $"bytes {from}-{_content.Length - 1}/{_content.Length}";
        }

        var length = _content.Length - (int)from;
        context.Response.ContentLength = length;
        context.Response.ContentType = "application/octet-stream";
        if (Interlocked.Decrement(ref _breaksLeft) >= 0)
        {
            await context.Response.Body.WriteAsync(_content.AsMemory((int)from, length / 2));
            await context.Response.Body.FlushAsync();
            context.Abort();
            return;
        }

        await context.Response.Body.WriteAsync(_content.AsMemory((int)from, length));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
