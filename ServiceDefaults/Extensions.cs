using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Prometheus;
using SlmCluster.ServiceDefaults.Metrics;
using SlmCluster.ServiceDefaults.Tracing;

namespace SlmCluster.ServiceDefaults;

/// <summary>
/// What every SlmCluster service shares, in the shape of Aspire's service defaults: telemetry, service discovery,
/// resilient HttpClients and health checks (<see cref="AddServiceDefaults{TBuilder}"/>), and the endpoints that
/// expose health and metrics (<see cref="MapDefaultEndpoints"/>).
/// </summary>
public static class Extensions
{
    /// <summary>Tag of the health checks that must pass before a service takes traffic.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Tag of the health checks that tell the process is live (and should not be restarted).</summary>
    public const string LiveTag = "live";

    /// <summary>Meters whose names start with this are SlmCluster's: exported on <c>/metrics</c> and over OTLP.</summary>
    public const string MeterPrefix = "SlmCluster";

    /// <summary>Set (by the Aspire AppHost, or by hand) to the OTLP collector that receives logs, metrics and traces.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private const string HealthPath = "/health";
    private const string AlivePath = "/alive";
    private const string MetricsPath = "/metrics";
    private const string GrpcHealthPath = "/grpc.health.v1.Health";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureConsoleLogging();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.AddPrometheusMetrics();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // Only clients made by IHttpClientFactory get this; the gateway's gRPC channels to its workers have their
            // own SocketsHttpHandler and are not among them. A generation is a POST that is neither idempotent nor
            // cheap: retrying it would run it twice, so only safe methods are retried.
            http.AddStandardResilienceHandler(resilience => resilience.Retry.DisableForUnsafeHttpMethods());
            http.AddServiceDiscovery();
        });

        // A parent that dies without stopping its children must not leave them behind.
        builder.Services.AddHostedService<ParentProcessWatcher>();
        // A shutdown that cannot finish (the membership table unreachable) still ends.
        builder.Services.AddHostedService<ShutdownDeadline>();
        return builder;
    }

    /// <summary>One line per entry: the AppHost shows each child's console, prefixed with its name.</summary>
    private static void ConfigureConsoleLogging(this IHostApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
            options.ColorBehavior = LoggerColorBehavior.Disabled;
        });
    }

    /// <summary>
    /// Logs, metrics and traces over OTLP to the endpoint in <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the Aspire dashboard,
    /// under the AppHost); the protocol, headers, service name and sampler come from the other standard
    /// <c>OTEL_*</c> variables.
    /// </summary>
    /// <remarks>
    /// Without an endpoint nothing of the SDK is registered, not even providers without an exporter: a tracer
    /// provider listening to ASP.NET Core would record and tag an activity for every request, and a meter provider
    /// would aggregate every instrument, all for nobody; the gateway's added latency per request is a tracked
    /// target of about a millisecond. Requests then cost what they did before: <c>/metrics</c> is prometheus-net's
    /// own listener, and SlmCluster's sources have no listener, so their spans are never created.
    /// With an endpoint, requests are traced as <c>Telemetry:TracesPerSecond</c> says (see <see cref="ConfigureSampler"/>):
    /// the AppHost keeps a few new traces a second, whole, rather than Aspire's always_on, because exporting and
    /// ingesting every request's spans costs the workers CPU under load. Probes and scrapes, which arrive all the time
    /// and say nothing, are filtered out before they are recorded. Without that setting the standard
    /// <c>OTEL_TRACES_SAMPLER</c> applies.
    /// </remarks>
    private static void ConfigureOpenTelemetry(this IHostApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]))
        {
            return;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var applicationName = builder.Environment.ApplicationName;
        var serviceNameGiven = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // Aspire names each resource; run by hand, a service is named after its assembly, not "unknown_service".
                if (!serviceNameGiven)
                {
                    resource.AddService(applicationName);
                }
            })
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(MeterPrefix + "*"))
            .WithTracing(tracing => ConfigureSampler(tracing, builder.Configuration)
                .AddSource(SlmActivitySources.Wildcard)
                // Grain calls between silos (AddActivityPropagation): a request's trace continues from the gateway silo
                // into the worker silo. Orleans' own runtime calls (probes, directory) are under Microsoft.Orleans.Runtime.
                .AddSource("Microsoft.Orleans.Application")
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = IsTraced)
                // Spans of IHttpClientFactory's and other HttpClients (the gateway reaches workers as grain calls).
                .AddHttpClientInstrumentation())
            .UseOtlpExporter();
    }

    /// <summary>
    /// <c>Telemetry:TracesPerSecond</c> (the AppHost's <c>--traces-per-second</c>), when set above 0: parent-based, at most
    /// that many new traces a second (<see cref="TraceRateSampler"/>), whatever <c>OTEL_TRACES_SAMPLER</c> says
    /// (Aspire sets it to always_on). Unset or 0: the standard <c>OTEL_TRACES_SAMPLER</c>, else every trace.
    /// </summary>
    private static TracerProviderBuilder ConfigureSampler(TracerProviderBuilder tracing, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var value = configuration[SlmCluster.Settings.ClusterSettings.Keys.TracesPerSecond.Replace("__", ":", StringComparison.Ordinal)];
        if (double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var perSecond)
            && perSecond > 0 && double.IsFinite(perSecond))
        {
            tracing.SetSampler(new ParentBasedSampler(new TraceRateSampler(perSecond)));
        }

        return tracing;
    }

    /// <summary>Health probes and metric scrapes (HTTP and gRPC) are left out of traces.</summary>
    private static bool IsTraced(HttpContext context)
    {
        var path = context.Request.Path;
        return !(path.StartsWithSegments(HealthPath) || path.StartsWithSegments(AlivePath) || path.StartsWithSegments(MetricsPath)
            || path.StartsWithSegments(GrpcHealthPath));
    }

    /// <summary>The process answers: <c>/alive</c> passes while it runs; each service adds its own <see cref="ReadyTag"/> checks.</summary>
    private static void AddDefaultHealthChecks(this IHostApplicationBuilder builder) =>
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);

    /// <summary>This host's meters and the process' own figures (CPU, memory, GC), in a prometheus-net registry of its own.</summary>
    private static void AddPrometheusMetrics(this IHostApplicationBuilder builder) =>
        builder.Services.AddSingleton(services =>
        {
            var registry = Prometheus.Metrics.NewCustomRegistry();
            DotNetStats.Register(registry);
            var meterFactory = services.GetRequiredService<IMeterFactory>();
            return new PrometheusMeterBridge(registry,
                meter => meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal) && ReferenceEquals(meter.Scope, meterFactory));
        });

    /// <summary>
    /// Maps <c>/health</c> (ready to take traffic), <c>/alive</c> (the process is live) and <c>/metrics</c>
    /// (prometheus-net: Prometheus text, or OpenMetrics when the scraper asks for it).
    /// </summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(HealthPath);
        endpoints.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag) });

        var bridge = endpoints.ServiceProvider.GetRequiredService<PrometheusMeterBridge>();
        endpoints.MapMetrics(settings => settings.Registry = bridge.Registry);
        return endpoints;
    }
}
