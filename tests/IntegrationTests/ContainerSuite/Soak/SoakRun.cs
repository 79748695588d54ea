using System.Diagnostics;
using System.Globalization;
using SlmCluster.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SlmCluster.IntegrationTests.ContainerSuite.Soak;

/// <summary>
/// The soak with faults: not part of any test command (category Soak); <c>./build.sh soak [minutes]</c> runs it and
/// writes its report to bench/results (docs/deploy.md). A closed loop of mixed requests through two gateways while a
/// fault is dealt every minute; what it asserts are the targets: no failure of a request that was not under way on
/// a faulted host, and no request without an answer or an error.
/// </summary>
[Trait("Category", "Soak")]
[Collection(ContainerSuiteCollection.Name)]
public sealed class SoakRun(ITestOutputHelper output)
{
    [Fact]
    public async Task Mixed_load_through_faults_every_minute_fails_only_requests_under_way_on_the_faulted_hosts()
    {
        var minutes = double.Parse(Environment.GetEnvironmentVariable("SLM_SOAK_MINUTES") ?? "10", CultureInfo.InvariantCulture);
        var period = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("SLM_SOAK_FAULT_SECONDS") ?? "60", CultureInfo.InvariantCulture));
        var duration = TimeSpan.FromMinutes(minutes);
        await using var cluster = await ContainerCluster.StartAsync(workers: 2, gateways: 2);
        var clock = Stopwatch.StartNew();
        var load = MixedLoad.Start(cluster, callersPerGateway: 3, clock);
        var scheduler = new FaultScheduler(cluster, clock);

        await scheduler.RunAsync(warmUp: TimeSpan.FromSeconds(20), period, duration, output.WriteLine);
        if (duration > clock.Elapsed)
        {
            await Task.Delay(duration - clock.Elapsed);
        }

        var requests = await load.StopAsync();
        var report = new SoakReport(requests, scheduler.Faults, clock.Elapsed, load.UnderWay, Machine());
        var name = Environment.GetEnvironmentVariable("SLM_SOAK_REPORT") ?? $"soak-{DateTime.UtcNow:yyyyMMdd-HHmm}";
        await report.WriteAsync(Path.Combine(TestPaths.RepoRoot, "bench", "results"), name);
        output.WriteLine(report.Summary());
        output.WriteLine($"report: bench/results/{name}.html");

        Assert.Empty(report.Unexpected);
        Assert.Equal(0, report.Lost);
    }

    private static string Machine() =>
        $"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end (shared machine: figures are not a benchmark)";
}
