using System.Diagnostics;

namespace SlmCluster.IntegrationTests.ContainerSuite.Soak;

/// <summary>
/// Deals the container suite's faults in turn, one every period: a worker cut off, paused, killed; a gateway killed or
/// cut off; Redis killed. Each is healed within its period (reconnected, unpaused, started again).
/// </summary>
internal sealed class FaultScheduler(ContainerCluster cluster, Stopwatch clock)
{
    private readonly List<SoakFault> _faults = [];

    public IReadOnlyList<SoakFault> Faults => _faults;

    /// <summary>Deals fault after fault, the first after <paramref name="warmUp"/>, until <paramref name="until"/>.</summary>
    public async Task RunAsync(TimeSpan warmUp, TimeSpan period, TimeSpan until, Action<string> log)
    {
        for (var n = 0; warmUp + (period * n) + period <= until; n++)
        {
            var at = warmUp + (period * n);
            if (at > clock.Elapsed)
            {
                await Task.Delay(at - clock.Elapsed);
            }

            var worker = cluster.Workers[n / 6 % cluster.Workers.Count];
            var gateway = cluster.Gateways[^1];
            var (kind, host) = (n % 6) switch
            {
                0 => ("worker-cut", worker),
                1 => ("worker-pause", worker),
                2 => ("gateway-kill", gateway),
                3 => ("worker-kill", worker),
                4 => ("redis-kill", cluster.Redis),
                _ => ("gateway-cut", gateway),
            };
            var from = clock.Elapsed;
            await DealAsync(kind, host, period);
            var fault = new SoakFault(kind, host.Name, from, clock.Elapsed);
            _faults.Add(fault);
            log($"{fault.From.TotalSeconds,6:F1} s {kind} {host.Name}, healed at {fault.Healed.TotalSeconds:F1} s");
        }
    }

    /// <summary>The fault, held for a third of the period (a pause for 5 s: shorter than a death declaration), then healed.</summary>
    private static async Task DealAsync(string kind, ClusterHost host, TimeSpan period)
    {
        var hold = period / 3;
        switch (kind)
        {
            case "worker-cut" or "gateway-cut":
                await host.CutAsync();
                await Task.Delay(hold);
                await host.ReconnectAsync();
                break;
            case "worker-pause":
                await host.PauseAsync();
                await Task.Delay(TimeSpan.FromSeconds(5));
                await host.UnpauseAsync();
                break;
            default:
                await host.KillAsync();
                await Task.Delay(hold);
                await host.StartAsync();
                break;
        }
    }
}
