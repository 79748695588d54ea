using System.Diagnostics.Metrics;
using SlmCluster.Gateway.Cascade;

namespace SlmCluster.Gateway.Observability;

/// <summary>
/// The cascade routes' instruments, on the gateway's meter and so on <c>/metrics</c>: every tier's attempts by outcome
/// (<c>slm_cascade_requests_total{route,tier,outcome}</c>, tier being the tier's name), what the routes' requests cost
/// (<c>slm_cascade_cost_usd_total{route}</c>) and what they would have cost on each route's last tier alone
/// (<c>slm_cascade_last_tier_cost_usd_total{route}</c>). Each is also added to <see cref="CascadeStats"/> for the dashboard.
/// </summary>
public sealed class CascadeMetrics
{
    private readonly CascadeStats _stats;
    private readonly Counter<long> _attempts;
    private readonly Counter<double> _cost;
    private readonly Counter<double> _lastTierCost;

    public CascadeMetrics(IMeterFactory meterFactory, CascadeRoutes routes, CascadeStats stats)
    {
        _stats = stats;
        var meter = meterFactory.Create(GatewayMetrics.MeterName);
        _attempts = meter.CreateCounter<long>("slm.cascade.requests", "{request}",
            "Attempts of cascade routes' tiers at requests, by route, tier name and outcome (accepted, escalated, skipped, error)");
        _cost = meter.CreateCounter<double>("slm.cascade.cost", "USD",
            "What requests through cascade routes cost: every tier that ran, self-hosted and external");
        _lastTierCost = meter.CreateCounter<double>("slm.cascade.last_tier_cost", "USD",
            "What the same requests would have cost on each route's last tier alone");

        // Every series exists from the start at 0, so a rate over it is defined before the first request.
        foreach (var route in routes.All)
        {
            var name = new KeyValuePair<string, object?>("route", route.Name);
            foreach (var tier in route.Tiers)
            {
                foreach (var outcome in TierOutcome.All)
                {
                    _attempts.Add(0, name, new("tier", tier.Name), new("outcome", outcome));
                }
            }

            _cost.Add(0, name);
            _lastTierCost.Add(0, name);
        }
    }

    public void Attempt(CascadeRoute route, CascadeTier tier, string outcome)
    {
        _attempts.Add(1, new KeyValuePair<string, object?>("route", route.Name), new("tier", tier.Name), new("outcome", outcome));
        _stats.Attempt(route.Name, tier.Number, outcome);
    }

    public void RequestEnded(CascadeRoute route, bool escalated, double costUsd, double lastTierCostUsd)
    {
        var name = new KeyValuePair<string, object?>("route", route.Name);
        _cost.Add(costUsd, name);
        _lastTierCost.Add(lastTierCostUsd, name);
        _stats.RequestEnded(route.Name, escalated, costUsd, lastTierCostUsd);
    }
}
