using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Configuration;

namespace SlmCluster.Gateway.Observability;

/// <summary>
/// Makes the series whose labels the configuration names exist at 0 before the first scrape: the model labels of
/// <see cref="GatewayMetrics"/> (the default model, each cascade route's name and its tiers' models, and
/// <see cref="RequestRecord.UnknownModel"/>), every route, tier and outcome of <see cref="CascadeMetrics"/>, and every
/// shadow target's series of <see cref="ShadowMetrics"/>; those two declare their own when they are made. A series
/// that appears with its first event hides that event from <c>rate()</c> and from alerts. The models workers report
/// are declared as they join the pool (<see cref="GatewayMetrics"/>).
/// </summary>
public sealed class MetricSeriesAtStart(
    GatewayMetrics gateway,
    CascadeMetrics cascade,
    ShadowMetrics shadows,
    CascadeRoutes routes,
    IOptions<GatewayOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Taken only to be made now rather than at the first request: its constructor declares the routes' series.
        _ = cascade;
        _ = shadows;
        gateway.DeclareModel(RequestRecord.UnknownModel);
        if (options.Value.DefaultModel is { Length: > 0 } defaultModel)
        {
            gateway.DeclareModel(defaultModel);
        }

        foreach (var route in routes.All)
        {
            // A route's request is counted under the route's name until a tier answers, then under that tier's model.
            gateway.DeclareModel(route.Name);
            foreach (var tier in route.Tiers)
            {
                if (tier.ServedModel.Length > 0)
                {
                    gateway.DeclareModel(tier.ServedModel);
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
