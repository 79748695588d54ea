using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Prometheus;
using SlmCluster.ServiceDefaults.Metrics;
using SlmCluster.ServiceDefaults.Tracing;

namespace SlmCluster.ServiceDefaults;

/// <summary>What every SlmCluster service shares, named as Aspire names it.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Tag of the health checks that must pass before a service takes traffic.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Meters of the host's <see cref="IMeterFactory"/> whose names start with this are exported on <c>/metrics</c>.</summary>
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

        // This host's meters and the process' own figures (CPU, memory, GC), in a registry of its own.
        builder.Services.AddSingleton(services =>
        {
            var registry = Prometheus.Metrics.NewCustomRegistry();
            DotNetStats.Register(registry);
            var meterFactory = services.GetRequiredService<IMeterFactory>();
            return new PrometheusMeterBridge(registry,
                meter => meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal) && ReferenceEquals(meter.Scope, meterFactory));
        });

        if (OtlpTraceExport.IsConfigured)
        {
            var provider = OtlpTraceExport.CreateProvider(builder.Environment.ApplicationName);
            builder.Services.AddHostedService(_ => new OtlpTraceExport(provider));
        }

        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (ready to take traffic), <c>/alive</c> (the process is live) and <c>/metrics</c>
    /// (prometheus-net: Prometheus text, or OpenMetrics when the scraper asks for it).
    /// </summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health");
        endpoints.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });

        var bridge = endpoints.ServiceProvider.GetRequiredService<PrometheusMeterBridge>();
        endpoints.MapMetrics(settings => settings.Registry = bridge.Registry);
        return endpoints;
    }
}
