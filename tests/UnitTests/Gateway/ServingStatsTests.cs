using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Costs;
using SlmCluster.Gateway.Observability;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>The dashboard's totals: tokens, cost, what the same tokens cost at every reference API, and percentiles.</summary>
public sealed class ServingStatsTests
{
    [Fact]
    public void Totals_add_up_tokens_costs_and_reference_costs_for_every_api()
    {
        var stats = new ServingStats(new ReferencePricing(Options.Create(new CostOptions())), new ManualTimeProvider());

        stats.Add(new RequestRecord("m", "ok", RequestRecord.FromWorker, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(20), 1_000, 500, 0.0001));
        stats.Add(new RequestRecord("m", "ok", RequestRecord.FromCache, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1), 1_000, 500, 0));
        stats.Add(new RequestRecord("unknown", "unavailable", RequestRecord.FromGateway, TimeSpan.FromMilliseconds(5), null, 0, 0, 0));
        stats.CacheHit();
        stats.CacheMiss();

        var totals = stats.Snapshot();
        Assert.Equal(3, totals.Requests);
        Assert.Equal(1, totals.Errors);
        Assert.Equal(2_000, totals.PromptTokens);
        Assert.Equal(1_000, totals.CompletionTokens);
        Assert.Equal(0.0001, totals.CostUsd, precision: 12);
        // Twice 1,000 in and 500 out: GPT-5.4 2 × $0.01; Claude Opus 4.7 2 × ($0.005 + $0.0125)
        Assert.Equal(0.02, totals.ReferenceCostUsd["gpt-5.4"], precision: 12);
        Assert.Equal(0.035, totals.ReferenceCostUsd["claude-opus-4.7"], precision: 12);
        Assert.Equal(1, totals.CacheHits);
        Assert.Equal(1, totals.CacheMisses);
        Assert.Equal(2, totals.LatencyMs!.Count);
    }

    [Fact]
    public void Requests_under_an_adapter_are_totalled_by_base_and_adapter_and_the_base_alone_is_not()
    {
        var stats = new ServingStats(new ReferencePricing(Options.Create(new CostOptions())), new ManualTimeProvider());

        stats.Add(new RequestRecord("m", "ok", RequestRecord.FromWorker, TimeSpan.FromMilliseconds(10), null, 10, 20, 0.5) { Adapter = "sql" });
        stats.Add(new RequestRecord("m", "internal", RequestRecord.FromWorker, TimeSpan.FromMilliseconds(10), null, 5, 1, 0.25) { Adapter = "sql" });
        stats.Add(new RequestRecord("n", "ok", RequestRecord.FromWorker, TimeSpan.FromMilliseconds(10), null, 1, 2, 0.125) { Adapter = "sql" });
        stats.Add(new RequestRecord("m", "ok", RequestRecord.FromWorker, TimeSpan.FromMilliseconds(10), null, 100, 100, 1));

        Assert.Equal(
            [new AdapterTotals("sql", "m", 2, 1, 15, 21, 0.75), new AdapterTotals("sql", "n", 1, 0, 1, 2, 0.125)],
            stats.Adapters());
        Assert.Equal(4, stats.Snapshot().Requests);
    }

    [Fact]
    public void Percentiles_take_the_nearest_rank()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToArray();

        var percentiles = ServingStats.Percentiles(values, values.Length)!;

        Assert.Equal(50, percentiles.P50);
        Assert.Equal(90, percentiles.P90);
        Assert.Equal(99, percentiles.P99);
        Assert.Null(ServingStats.Percentiles(new double[4], 0));
    }

    [Fact]
    public void Time_per_output_token_spreads_the_time_after_the_first_token_over_the_rest()
    {
        // 1.0 s in all, first token at 0.1 s, 10 tokens: 0.9 s over the 9 after the first
        var record = new RequestRecord("m", "ok", RequestRecord.FromWorker, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(0.1), 5, 10, 0);

        Assert.Equal(0.1, record.TimePerOutputToken!.Value.TotalSeconds, precision: 9);
    }
}
