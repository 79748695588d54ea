using System.Globalization;

namespace SlmCluster.Bench.Load;

/// <summary>
/// CPU time of a process from /proc, split into the model's compute threads and everything else. The whole comes
/// from <c>/proc/PID/stat</c>, which keeps the time of threads that have ended (thread-pool threads come and go);
/// the compute threads, which live as long as the engine, from their <c>schedstat</c>. llama.cpp's threads are the
/// engine's own (<c>llama-engine</c>) and the ggml pool's, which carry the process' first name (<c>dotnet</c>), as
/// does the main thread, idle in a service.
/// </summary>
internal static class ThreadCpu
{
    private const double NsPerTick = 1e9 / 100; // USER_HZ

    public readonly record struct Split(long ComputeNs, long OtherNs);

    public static Split Read(int pid)
    {
        long compute = 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var comm = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                if (comm is "llama-engine" or "dotnet")
                {
                    compute += long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The thread ended between listing and reading.
            }
        }

        return new Split(compute, Math.Max(0, Total(pid) - compute));
    }

    /// <summary>User and system time of every thread the process has had, in nanoseconds (10 ms steps).</summary>
    public static long Total(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The fields after the command name, which is in parentheses and may hold spaces.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (long)(ticks * NsPerTick);
    }
}
