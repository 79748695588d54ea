using System.Reflection;
using System.Text.Json;
using SlmCluster.Gateway.Costs;
using SlmCluster.Gateway.Observability;
using SlmCluster.Gateway.Routing;

namespace SlmCluster.Gateway.Dashboard;

/// <summary>
/// The web dashboard on the gateway's HTTP port: <c>/</c> (a page embedded in this assembly, no build step),
/// its script and style under <c>/dashboard/</c>, and <c>/api/stats</c>, the JSON it polls.
/// </summary>
public static class DashboardEndpoints
{
    private static readonly (string Path, string Resource, string ContentType)[] Assets =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/dashboard/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
        ("/dashboard/dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
    ];

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        foreach (var (path, resource, contentType) in Assets)
        {
            var content = Read(resource);
            endpoints.MapGet(path, (RequestDelegate)(context =>
            {
                context.Response.ContentType = contentType;
                context.Response.Headers.CacheControl = "no-cache";
                return context.Response.Body.WriteAsync(content, context.RequestAborted).AsTask();
            }));
        }

        var pool = endpoints.ServiceProvider.GetRequiredService<WorkerPool>();
        var stats = endpoints.ServiceProvider.GetRequiredService<ServingStats>();
        var pricing = endpoints.ServiceProvider.GetRequiredService<ReferencePricing>();
        var cascade = endpoints.ServiceProvider.GetRequiredService<CascadeStats>();
        var shadow = endpoints.ServiceProvider.GetRequiredService<ShadowStats>();
        endpoints.MapGet("/api/stats", (RequestDelegate)(context =>
        {
            context.Response.ContentType = "application/json";
            context.Response.Headers.CacheControl = "no-store";
            return JsonSerializer.SerializeAsync(context.Response.Body, Snapshot(pool, stats, pricing, cascade, shadow),
                DashboardJsonContext.Default.DashboardSnapshot, context.RequestAborted);
        }));
        return endpoints;
    }

    internal static DashboardSnapshot Snapshot(WorkerPool pool, ServingStats stats, ReferencePricing pricing, CascadeStats cascade, ShadowStats shadow)
    {
        var totals = stats.Snapshot();
        var reference = totals.ReferenceCostUsd.GetValueOrDefault(pricing.DefaultApi);
        return new DashboardSnapshot(
            Workers: pool.Workers.Select(w => new DashboardWorker(
                Id: w.WorkerId,
                Address: w.Key,
                Model: w.Models.Count > 0 ? string.Join(", ", w.Models.Select(m => m.Id)) : null,
                Adapters: [.. w.Models.SelectMany(m => m.Adapters).Select(a => a.Name)],
                Device: w.Device,
                State: w.IsDraining ? "draining" : w.IsHealthy ? "serving" : "unhealthy",
                Load: w.AnnouncedLoad ?? w.Outstanding,
                Slots: w.Slots,
                Activations: w.Activations,
                StatusRoundTripMs: w.StatusRoundTrips())).ToArray(),
            Models: pool.Models().Select(m => m.Model.Id).ToArray(),
            Totals: totals,
            DefaultApi: pricing.DefaultApi,
            DefaultApiName: pricing.DefaultPrice.Name is { Length: > 0 } name ? name : pricing.DefaultApi,
            ReferenceCostUsd: reference,
            SavedUsd: reference - totals.CostUsd,
            ReferenceApis: pricing.Apis.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => new DashboardApi(
                Id: a.Key,
                Name: a.Value.Name is { Length: > 0 } apiName ? apiName : a.Key,
                InputPerMillion: a.Value.InputPerMillion,
                OutputPerMillion: a.Value.OutputPerMillion,
                CostUsd: totals.ReferenceCostUsd.GetValueOrDefault(a.Key))).ToArray(),
            Cascade: cascade.Snapshot(),
            Shadow: shadow.Snapshot(),
            Adapters: stats.Adapters());
    }

    private static byte[] Read(string resource)
    {
        var assembly = typeof(DashboardEndpoints).Assembly;
        using var stream = assembly.GetManifestResourceStream("dashboard/" + resource)
            ?? throw new InvalidOperationException($"The dashboard's {resource} is not embedded in {assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
