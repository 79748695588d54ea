using System.Globalization;

namespace SlmCluster.Bench.Load;

/// <summary>
/// The processes behind one arm, each with its role (<c>worker</c>, <c>gateway</c>, <c>dashboard</c>, ...), whose CPU time
/// (<see cref="ThreadCpu.Total"/>: every thread the process has had) is read around each of the arm's bursts: what
/// <c>top</c> shows for them while that arm is under load. A role may have several processes; they add up.
/// </summary>
internal sealed record ProcessRoles(IReadOnlyList<(string Role, int Pid)> Processes)
{
    /// <summary>Each process' CPU time in nanoseconds, in the order of <see cref="Processes"/>; 0 for one that has gone.</summary>
    public long[] Read() => [.. Processes.Select(p => TryTotal(p.Pid))];

    public ProcessRoles With(string role, int pid) => new([.. Processes, (role, pid)]);

    private static long TryTotal(int pid)
    {
        try
        {
            return ThreadCpu.Total(pid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}

/// <summary>CPU time each role of an arm used over <paramref name="Wall"/> (its bursts, summed over the rounds).</summary>
internal sealed record ArmCpu(ProcessRoles Roles, long[] Nanoseconds, TimeSpan Wall)
{
    /// <summary>Each role's CPU as percent of one core over the wall time, as <c>top</c> gives it, roles in their first order.</summary>
    public IReadOnlyList<(string Role, double Percent)> PercentByRole() =>
        [.. Roles.Processes.Select((p, i) => (p.Role, Ns: Nanoseconds[i]))
            .GroupBy(x => x.Role)
            .Select(g => (g.Key, Wall > TimeSpan.Zero ? g.Sum(x => x.Ns) / (Wall.TotalMilliseconds * 1e6) * 100 : double.NaN))];

    public override string ToString() =>
        string.Join(", ", PercentByRole().Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Role} {r.Percent:F1} %")));

    /// <summary>The CPU the roles use from now for <paramref name="window"/>.</summary>
    public static async Task<ArmCpu> MeasureAsync(ProcessRoles roles, TimeSpan window, CancellationToken cancellationToken)
    {
        var before = roles.Read();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await Task.Delay(window, cancellationToken);
        var after = roles.Read();
        return new ArmCpu(roles, [.. after.Zip(before, (a, b) => a - b)], System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }
}
