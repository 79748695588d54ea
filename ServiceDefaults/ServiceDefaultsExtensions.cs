using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using SlmCluster.ServiceDefaults.Metrics;
using SlmCluster.ServiceDefaults.Tracing;

namespace SlmCluster.ServiceDefaults;

/// <summary>What every SlmCluster service shares, named as Aspire names it.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Tag of the health checks that must pass before a service takes traffic.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Meters whose names start with this are exported on <c>/metrics</c>.</summary>
    public const string MeterPrefix = "SlmCluster";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options =>
        {
            // One line per entry: the AppHost prefixes each child's lines with its name.
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
            options.ColorBehavior = LoggerColorBehavior.Disabled;
        });

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);

        // A parent that dies without stopping its children must not leave them behind.
        builder.Services.AddHostedService<ParentProcessWatcher>();

        builder.Services.AddSingleton(_ => new PrometheusMetricsCollector(
            meter => meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal)));

        if (OtlpTraceExport.IsConfigured)
        {
            var provider = OtlpTraceExport.CreateProvider(builder.Environment.ApplicationName);
            builder.Services.AddHostedService(_ => new OtlpTraceExport(provider));
        }

        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (ready to take traffic), <c>/alive</c> (the process is live) and <c>/metrics</c>
    /// (Prometheus text format).
    /// </summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health");
        endpoints.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });

        var collector = endpoints.ServiceProvider.GetRequiredService<PrometheusMetricsCollector>();
        endpoints.MapGet("/metrics", (RequestDelegate)(async context =>
        {
            var text = collector.Write();
            context.Response.ContentType = PrometheusMetricsCollector.ContentType;
            context.Response.Headers.CacheControl = "no-store";
            await context.Response.WriteAsync(text, context.RequestAborted);
        }));
        return endpoints;
    }
}
