using System.Globalization;

namespace SlmCluster.Bench.Cluster;

/// <summary>The machine's processes as /proc lists them: each one's parent and command line.</summary>
internal static class ProcessTable
{
    public readonly record struct Entry(int Pid, int ParentPid, IReadOnlyList<string> CommandLine);

    public static IReadOnlyList<Entry> Snapshot()
    {
        var entries = new List<Entry>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // The fields after the command name, which is in parentheses and may hold spaces: state, then the parent.
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                entries.Add(new Entry(pid, parent, commandLine));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone between listing and reading, or not ours to read.
            }
        }

        return entries;
    }

    /// <summary><paramref name="roots"/> and every process below them.</summary>
    public static IReadOnlyList<Entry> Descendants(IReadOnlyList<Entry> table, IEnumerable<int> roots)
    {
        var children = table.ToLookup(e => e.ParentPid);
        var byPid = table.ToDictionary(e => e.Pid);
        var found = new List<Entry>();
        var pending = new Stack<int>(roots);
        while (pending.TryPop(out var pid))
        {
            if (byPid.TryGetValue(pid, out var entry))
            {
                found.Add(entry);
            }

            foreach (var child in children[pid])
            {
                pending.Push(child.Pid);
            }
        }

        return found;
    }
}
