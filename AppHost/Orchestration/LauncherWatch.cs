using System.Diagnostics;

namespace SlmCluster.AppHost.Orchestration;

/// <summary>
/// When the AppHost was started by <c>dotnet run</c>, stopping that launcher (a signal it does not
/// pass on, or a kill) must stop the cluster too, instead of leaving the AppHost running unseen.
/// </summary>
internal static class LauncherWatch
{
    /// <summary>Completes when the launching <c>dotnet</c> process exits; never when there is none.</summary>
    public static async Task WhenLauncherExitsAsync(CancellationToken cancellationToken)
    {
        if (ParentProcessId() is not { } parentPid || ProcessName(parentPid) != "dotnet")
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return;
        }

        using var parent = Process.GetProcessById(parentPid);
        await parent.WaitForExitAsync(cancellationToken);
    }

    private static int? ParentProcessId()
    {
        try
        {
            // /proc/self/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    private static string? ProcessName(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
