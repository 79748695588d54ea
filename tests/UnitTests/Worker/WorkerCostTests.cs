using SlmCluster.UnitTests.Gateway;
using SlmCluster.Worker.Costs;

namespace SlmCluster.UnitTests.Worker;

/// <summary>Self-hosted cost: the worker's price per hour, split among the requests by the worker time they held.</summary>
public sealed class WorkerCostTests
{
    [Fact]
    public void A_price_per_hour_costs_its_share_per_second()
    {
        var cost = new WorkerCostOptions { PricePerHour = 3.60 };

        // $3.60 / 3600 s = $0.001 per second
        Assert.Equal(0.001, cost.CostOf(1), precision: 12);
        Assert.Equal(0.0025, cost.CostOf(2.5), precision: 12);
    }

    [Fact]
    public void Power_draw_at_an_electricity_price_gives_the_hourly_cost()
    {
        var cost = new WorkerCostOptions { Watts = 300, PricePerKwh = 0.20 };

        // 0.3 kW × $0.20/kWh = $0.06 per hour; a minute is $0.001
        Assert.Equal(0.06, cost.HourlyCost, precision: 12);
        Assert.Equal(0.001, cost.CostOf(60), precision: 12);
    }

    [Fact]
    public void A_price_per_hour_wins_over_watts()
    {
        Assert.Equal(1.5, new WorkerCostOptions { PricePerHour = 1.5, Watts = 300, PricePerKwh = 0.2 }.HourlyCost, precision: 12);
    }

    [Fact]
    public void Overlapping_requests_share_the_time_they_overlap()
    {
        var clock = new ManualTimeProvider();
        var ledger = new WorkerTimeLedger(clock);

        // A runs 0-4 s; B runs 1-3 s. Alone for 0-1 and 3-4, they halve 1-3:
        // A = 1 + 2/2 + 1 = 3 s, B = 2/2 = 1 s; together the 4 s the worker was busy.
        var a = ledger.Begin();
        clock.Advance(TimeSpan.FromSeconds(1));
        var b = ledger.Begin();
        clock.Advance(TimeSpan.FromSeconds(2));
        var bSeconds = b.Complete();
        clock.Advance(TimeSpan.FromSeconds(1));
        var aSeconds = a.Complete();

        Assert.Equal(1.0, bSeconds, precision: 9);
        Assert.Equal(3.0, aSeconds, precision: 9);
        Assert.Equal(4.0, ledger.BusySeconds, precision: 9);
    }

    [Fact]
    public void Idle_time_is_charged_to_nobody_and_completing_twice_charges_once()
    {
        var clock = new ManualTimeProvider();
        var ledger = new WorkerTimeLedger(clock);
        clock.Advance(TimeSpan.FromSeconds(10));

        var request = ledger.Begin();
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2.0, request.Complete(), precision: 9);
        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(2.0, request.Complete(), precision: 9);
        Assert.Equal(2.0, ledger.BusySeconds, precision: 9);
    }
}
