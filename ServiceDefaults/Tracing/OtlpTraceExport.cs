using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace SlmCluster.ServiceDefaults.Tracing;

/// <summary>
/// Exports the spans of SlmCluster's activity sources (and ASP.NET Core's, so a caller's <c>traceparent</c> is honoured)
/// over OTLP, configured by the standard <c>OTEL_EXPORTER_OTLP_*</c> environment variables; flushed when the host stops.
/// </summary>
internal sealed class OtlpTraceExport(TracerProvider provider) : IHostedService, IDisposable
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static bool IsConfigured => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EndpointVariable));

    public static TracerProvider CreateProvider(string applicationName)
    {
        var resource = ResourceBuilder.CreateDefault();
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME")))
        {
            resource.AddService(applicationName);
        }

        return Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .SetSampler(new RequestSampler())
            .AddSource(SlmActivitySources.Wildcard)
            .AddSource("Microsoft.AspNetCore")
            .AddOtlpExporter()
            .Build();
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        provider.ForceFlush(timeoutMilliseconds: 2000);
        return Task.CompletedTask;
    }

    public void Dispose() => provider.Dispose();
}
