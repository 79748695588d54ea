using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// Stands in for an OpenTelemetry collector: accepts OTLP/HTTP protobuf exports on <c>/v1/traces</c> and keeps their
/// bodies, so a test can look for a trace id in what each service exported.
/// </summary>
internal sealed class TraceCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<byte[]> _exports = new();

    private TraceCollector(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The value for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (with <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>).</summary>
    public Uri Endpoint { get; }

    public IReadOnlyCollection<byte[]> Exports => _exports;

    /// <summary>The environment that points a service's trace export here, flushing every 100 ms.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
    };

    public static async Task<TraceCollector> StartAsync()
    {
        var port = ServiceProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var collector = new TraceCollector(app, new Uri($"http://127.0.0.1:{port}"));
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            collector._exports.Enqueue(body.ToArray());
            // An empty ExportTraceServiceResponse: everything accepted.
            context.Response.ContentType = "application/x-protobuf";
        });
        await app.StartAsync();
        return collector;
    }

    /// <summary>Whether an export holding <paramref name="marker"/> (a service name) also holds <paramref name="traceId"/>'s bytes.</summary>
    public bool HasSpanOf(byte[] traceId, string marker)
    {
        var markerBytes = System.Text.Encoding.UTF8.GetBytes(marker);
        return _exports.Any(e => e.AsSpan().IndexOf(markerBytes) >= 0 && e.AsSpan().IndexOf(traceId) >= 0);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
