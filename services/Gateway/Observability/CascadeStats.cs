using SlmCluster.Gateway.Cascade;

namespace SlmCluster.Gateway.Observability;

/// <summary>
/// Running totals of each cascade route since the gateway started (the dashboard's view; Prometheus has the same as
/// counters), and what the route's last tier has cost per token when it ran, which prices the requests it did not run.
/// </summary>
public sealed class CascadeStats(CascadeRoutes routes)
{
    private readonly Lock _lock = new();
    private readonly IReadOnlyList<CascadeRoute> _order = routes.All;
    private readonly Dictionary<string, RouteTotals> _routes =
        routes.All.ToDictionary(route => route.Name, route => new RouteTotals(route.Tiers.Count), StringComparer.Ordinal);

    /// <summary>A tier's attempt ended with <paramref name="outcome"/> (one of <see cref="TierOutcome"/>).</summary>
    public void Attempt(string route, int tierNumber, string outcome)
    {
        lock (_lock)
        {
            if (!_routes.TryGetValue(route, out var totals) || tierNumber < 1 || tierNumber > totals.Outcomes.Length)
            {
                return;
            }

            var counts = totals.Outcomes[tierNumber - 1];
            var index = outcome switch
            {
                TierOutcome.Accepted => 0,
                TierOutcome.Escalated => 1,
                TierOutcome.Skipped => 2,
                _ => 3,
            };
            counts[index]++;
        }
    }

    /// <summary>A request through the route ended: what it cost, and what the last tier alone would have.</summary>
    public void RequestEnded(string route, bool escalated, double costUsd, double lastTierCostUsd)
    {
        lock (_lock)
        {
            if (_routes.TryGetValue(route, out var totals))
            {
                totals.Requests++;
                totals.Escalated += escalated ? 1 : 0;
                totals.CostUsd += costUsd;
                totals.LastTierCostUsd += lastTierCostUsd;
            }
        }
    }

    /// <summary>The route's self-hosted last tier answered a request of <paramref name="tokens"/> (prompt and completion) for <paramref name="costUsd"/>.</summary>
    public void LastTierRan(string route, double costUsd, long tokens)
    {
        lock (_lock)
        {
            if (_routes.TryGetValue(route, out var totals) && tokens > 0 && costUsd >= 0)
            {
                totals.LastTierObservedCostUsd += costUsd;
                totals.LastTierObservedTokens += tokens;
            }
        }
    }

    /// <summary>What the route's last tier has cost per token (prompt and completion together) on this gateway; null before it ran.</summary>
    public double? LastTierUsdPerToken(string route)
    {
        lock (_lock)
        {
            return _routes.TryGetValue(route, out var totals) && totals.LastTierObservedTokens > 0
                ? totals.LastTierObservedCostUsd / totals.LastTierObservedTokens
                : null;
        }
    }

    public IReadOnlyList<CascadeRouteTotals> Snapshot()
    {
        lock (_lock)
        {
            return _order.Select(route =>
            {
                var totals = _routes[route.Name];
                return new CascadeRouteTotals(
                    Route: route.Name,
                    Requests: totals.Requests,
                    Escalated: totals.Escalated,
                    EscalationRate: totals.Requests == 0 ? 0 : (double)totals.Escalated / totals.Requests,
                    CostUsd: totals.CostUsd,
                    LastTierCostUsd: totals.LastTierCostUsd,
                    SavedUsd: totals.LastTierCostUsd - totals.CostUsd,
                    Tiers: route.Tiers.Select(tier =>
                    {
                        var counts = totals.Outcomes[tier.Number - 1];
                        return new CascadeTierTotals(
                            Tier: tier.Number,
                            Name: tier.Name,
                            Accepted: counts[0],
                            Escalated: counts[1],
                            Skipped: counts[2],
                            Errors: counts[3]);
                    }).ToArray());
            }).ToArray();
        }
    }

    private sealed class RouteTotals(int tiers)
    {
        /// <summary>Per tier: accepted, escalated, skipped, errors.</summary>
        public long[][] Outcomes { get; } = Enumerable.Range(0, tiers).Select(_ => new long[4]).ToArray();

        public long Requests { get; set; }

        public long Escalated { get; set; }

        public double CostUsd { get; set; }

        public double LastTierCostUsd { get; set; }

        public double LastTierObservedCostUsd { get; set; }

        public long LastTierObservedTokens { get; set; }
    }
}
