using System.Runtime.InteropServices;

namespace SlmCluster.Bench.Cluster;

/// <summary>
/// Places the threads of a process on cores (Linux <c>sched_setaffinity</c> per thread): the model's compute thread on
/// its own core, everything else on the rest, so that a latency comparison measures the serving path, not the path
/// and the model taking turns on one core. Threads created later inherit the affinity of the thread that creates them.
/// </summary>
internal static partial class CoreAffinity
{
    /// <summary>The engine's thread (<c>LlamaEngine</c> names it); with one compute thread, llama.cpp computes on it.</summary>
    public const string EngineThreadName = "llama-engine";

    private const int MaskWords = 16; // cpu_set_t: 1024 bits

    /// <summary>Whether the machine has a core for the model and at least one more.</summary>
    public static bool CanSeparate => Environment.ProcessorCount >= 2;

    /// <summary>The cores other than <paramref name="core"/>.</summary>
    public static int[] AllBut(int core) => [.. Enumerable.Range(0, Environment.ProcessorCount).Where(c => c != core)];

    /// <summary>
    /// Every thread of <paramref name="pid"/> named <see cref="EngineThreadName"/> to <paramref name="engineCore"/>, the
    /// others to <paramref name="otherCores"/>; waits a little for the engine thread to carry its name (a thread just
    /// started names itself).
    /// </summary>
    /// <exception cref="InvalidOperationException">The process has no engine thread, or a thread could not be placed.</exception>
    public static async Task SeparateEngineThreadAsync(int pid, int engineCore, IReadOnlyList<int> otherCores, CancellationToken cancellationToken)
    {
        await NewEngineThreadsAsync(pid, new HashSet<int>(), cancellationToken);
        foreach (var (tid, name) in Threads(pid))
        {
            Set(tid, name == EngineThreadName ? [engineCore] : otherCores);
        }
    }

    /// <summary>The ids of the threads of <paramref name="pid"/> named <see cref="EngineThreadName"/>.</summary>
    public static HashSet<int> EngineThreads(int pid) => [.. Threads(pid).Where(t => t.Name == EngineThreadName).Select(t => t.Tid)];

    /// <summary>
    /// The engine thread of <paramref name="pid"/> that is not among <paramref name="known"/> (an engine just started
    /// beside others in one process) to <paramref name="core"/>; the process' other threads stay where they are.
    /// </summary>
    /// <exception cref="InvalidOperationException">No new engine thread appeared, or it could not be placed.</exception>
    public static async Task PinNewEngineThreadAsync(int pid, IReadOnlySet<int> known, int core, CancellationToken cancellationToken)
    {
        foreach (var tid in await NewEngineThreadsAsync(pid, known, cancellationToken))
        {
            Set(tid, [core]);
        }
    }

    /// <summary>
    /// The engine threads of <paramref name="pid"/> not among <paramref name="known"/>, waiting up to 5 s for one: a
    /// thread just started names itself a moment later.
    /// </summary>
    /// <exception cref="InvalidOperationException">None appeared.</exception>
    private static async Task<int[]> NewEngineThreadsAsync(int pid, IReadOnlySet<int> known, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var fresh = EngineThreads(pid).Where(t => !known.Contains(t)).ToArray();
            if (fresh.Length > 0)
            {
                return fresh;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"Process {pid} has no new thread named {EngineThreadName} to pin.");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Every thread of <paramref name="pid"/> back on every core.</summary>
    public static void Release(int pid)
    {
        var all = Enumerable.Range(0, Environment.ProcessorCount).ToArray();
        foreach (var (tid, _) in Threads(pid))
        {
            Set(tid, all);
        }
    }

    private static IEnumerable<(int Tid, string Name)> Threads(int pid)
    {
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            string name;
            try
            {
                name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
            }
            catch (IOException)
            {
                continue; // the thread ended
            }

            yield return (int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture), name);
        }
    }

    private static void Set(int tid, IReadOnlyList<int> cores)
    {
        Span<ulong> mask = stackalloc ulong[MaskWords];
        foreach (var core in cores)
        {
            mask[core / 64] |= 1UL << (core % 64);
        }

        // ESRCH: the thread ended since it was listed.
        if (sched_setaffinity(tid, MaskWords * sizeof(ulong), mask) != 0 && Marshal.GetLastPInvokeError() != 3)
        {
            throw new InvalidOperationException($"sched_setaffinity({tid}) failed: errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setaffinity(int pid, nint cpusetsize, ReadOnlySpan<ulong> mask);
}
