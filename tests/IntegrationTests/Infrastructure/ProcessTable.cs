namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>What /proc says of processes: alive or not, and whose children they are.</summary>
internal static class ProcessTable
{
    public static bool IsRunning(int pid)
    {
        try
        {
            // A zombie still has a /proc entry; it is gone for every purpose but reaping.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static int[] ChildrenOf(int pid) =>
        [.. Directory.GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var p) ? p : 0)
            .Where(p => p > 0 && ParentOf(p) == pid)];

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 4)..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
