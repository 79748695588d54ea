using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// Stands in for an OpenTelemetry collector (the Aspire dashboard, under the AppHost): accepts OTLP/HTTP protobuf
/// exports of traces, metrics and logs and keeps their bodies, so a test can read the spans each service exported and
/// look for its metrics and logs.
/// </summary>
internal sealed class TraceCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<byte[]> _exports = new();
    private readonly ConcurrentQueue<byte[]> _metrics = new();
    private readonly ConcurrentQueue<byte[]> _logs = new();

    private TraceCollector(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The value for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (with <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>).</summary>
    public Uri Endpoint { get; }

    /// <summary>The bodies of the trace exports received.</summary>
    public IReadOnlyCollection<byte[]> Exports => _exports;

    /// <summary>Every span received so far.</summary>
    public IReadOnlyList<OtlpSpan> Spans => _exports.SelectMany(OtlpSpan.Parse).ToList();

    /// <summary>The environment that points a service's OTLP export here, flushing spans and logs every 100 ms and metrics every second.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
    };

    /// <summary>Whether a metrics export from <paramref name="service"/> holds an instrument named <paramref name="instrument"/>.</summary>
    public bool HasMetric(string service, string instrument) => AnyHolds(_metrics, service, instrument);

    /// <summary>Whether a logs export from <paramref name="service"/> holds <paramref name="text"/>.</summary>
    public bool HasLog(string service, string text) => AnyHolds(_logs, service, text);

    private static bool AnyHolds(IEnumerable<byte[]> exports, string first, string second)
    {
        var a = System.Text.Encoding.UTF8.GetBytes(first);
        var b = System.Text.Encoding.UTF8.GetBytes(second);
        return exports.Any(e => e.AsSpan().IndexOf(a) >= 0 && e.AsSpan().IndexOf(b) >= 0);
    }

    public static async Task<TraceCollector> StartAsync()
    {
        var port = ServiceProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var collector = new TraceCollector(app, new Uri($"http://127.0.0.1:{port}"));
        foreach (var (path, received) in new[] { ("/v1/traces", collector._exports), ("/v1/metrics", collector._metrics), ("/v1/logs", collector._logs) })
        {
            app.MapPost(path, async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body, context.RequestAborted);
                received.Enqueue(body.ToArray());
                // An empty Export*ServiceResponse: everything accepted.
                context.Response.ContentType = "application/x-protobuf";
            });
        }
        await app.StartAsync();
        return collector;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
