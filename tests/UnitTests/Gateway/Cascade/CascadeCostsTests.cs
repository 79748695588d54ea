using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Observability;

namespace SlmCluster.UnitTests.Gateway.Cascade;

/// <summary>What a cascade request costs, and what it would have cost on its route's last tier alone, worked by hand.</summary>
public sealed class CascadeCostsTests
{
    private static readonly ExternalTierOptions Flagship = new()
    {
        BaseUrl = "https://provider.example/v1",
        Model = "big-model",
        InputUsdPerMillionTokens = 2.5,
        OutputUsdPerMillionTokens = 10,
    };

    private static CascadeTier Tier(CascadeTierOptions options, int index, bool isLast) => new("auto", index, options, isLast);

    [Fact]
    public void An_external_tier_costs_its_prices_times_the_tokens_of_its_usage()
    {
        // 1,200 in at $2.50/M = $0.003; 300 out at $10/M = $0.003; together $0.006.
        Assert.Equal(0.006, Flagship.CostOf(1_200, 300), precision: 12);
    }

    [Fact]
    public void When_the_last_tier_answered_its_actual_cost_is_the_last_tier_cost()
    {
        var last = Tier(new CascadeTierOptions { External = Flagship }, 2, isLast: true);

        Assert.Equal(0.0042, CascadeCosts.LastTierCost(last, 0.0042, 100, 50, answeringCostUsd: 0.0042, lastTierUsdPerToken: null));
    }

    [Fact]
    public void An_answer_from_a_lower_tier_is_priced_at_an_external_last_tiers_prices_with_the_answering_tiers_tokens()
    {
        var last = Tier(new CascadeTierOptions { External = Flagship }, 2, isLast: true);

        // Tier 1 answered with 40 prompt and 120 completion tokens for $0.00001 of worker time.
        // The flagship would have charged 40 × $2.50/M + 120 × $10/M = $0.0001 + $0.0012 = $0.0013.
        var cost = CascadeCosts.LastTierCost(last, null, promptTokens: 40, completionTokens: 120, answeringCostUsd: 0.00001, lastTierUsdPerToken: null);

        Assert.Equal(0.0013, cost, precision: 12);
    }

    [Fact]
    public void A_self_hosted_last_tier_that_did_not_run_is_priced_at_its_observed_cost_per_token()
    {
        var last = Tier(new CascadeTierOptions { Model = "tinystories" }, 1, isLast: true);

        // The last tier has averaged $0.000002 per token; 40 + 120 = 160 tokens → $0.00032.
        var cost = CascadeCosts.LastTierCost(last, null, 40, 120, answeringCostUsd: 0.00001, lastTierUsdPerToken: 0.000002);

        Assert.Equal(0.00032, cost, precision: 12);
    }

    [Fact]
    public void Before_a_self_hosted_last_tier_ever_ran_the_answering_tiers_own_cost_stands_in_and_no_saving_is_claimed()
    {
        var last = Tier(new CascadeTierOptions { Model = "tinystories" }, 1, isLast: true);

        Assert.Equal(0.00001, CascadeCosts.LastTierCost(last, null, 40, 120, answeringCostUsd: 0.00001, lastTierUsdPerToken: null));
    }

    [Fact]
    public void The_observed_cost_per_token_is_the_last_tiers_cost_over_its_tokens_so_far()
    {
        var routes = new CascadeRouteOptions { Tiers = [new() { Model = "small", Accept = new() }, new() { Model = "large" }] };
        var stats = new CascadeStats(CascadeRunnerTests.Routes(("auto", routes)));

        Assert.Null(stats.LastTierUsdPerToken("auto"));
        // Two runs: $0.001 for 400 tokens and $0.003 for 600: $0.004 / 1,000 tokens = $0.000004 per token.
        stats.LastTierRan("auto", 0.001, 400);
        stats.LastTierRan("auto", 0.003, 600);

        Assert.Equal(0.000004, stats.LastTierUsdPerToken("auto")!.Value, precision: 15);
    }

    [Fact]
    public void The_route_summary_counts_requests_escalations_outcomes_and_the_saving()
    {
        var routes = new CascadeRouteOptions { Tiers = [new() { Name = "small", Model = "s", Accept = new() }, new() { Name = "large", Model = "l" }] };
        var stats = new CascadeStats(CascadeRunnerTests.Routes(("auto", routes)));

        // Request 1: small accepted, $0.001; the last tier alone would have cost $0.004.
        stats.Attempt("auto", 1, TierOutcome.Accepted);
        stats.RequestEnded("auto", escalated: false, 0.001, 0.004);
        // Request 2: small escalated, large answered: $0.001 + $0.004 = $0.005, against $0.004.
        stats.Attempt("auto", 1, TierOutcome.Escalated);
        stats.Attempt("auto", 2, TierOutcome.Accepted);
        stats.RequestEnded("auto", escalated: true, 0.005, 0.004);

        var route = Assert.Single(stats.Snapshot());
        Assert.Equal(("auto", 2L, 1L, 0.5), (route.Route, route.Requests, route.Escalated, route.EscalationRate));
        Assert.Equal(0.006, route.CostUsd, precision: 12);
        Assert.Equal(0.008, route.LastTierCostUsd, precision: 12);
        // Saved: $0.008 - $0.006 = $0.002.
        Assert.Equal(0.002, route.SavedUsd, precision: 12);
        Assert.Equal([(1, "small", 1L, 1L, 0L, 0L), (2, "large", 1L, 0L, 0L, 0L)],
            route.Tiers.Select(t => (t.Tier, t.Name, t.Accepted, t.Escalated, t.Skipped, t.Errors)));
    }
}
