using System.Runtime.InteropServices;

namespace SlmCluster.Bench.Cluster;

/// <summary>Sends SIGTERM so a child can shut down gracefully; .NET's Process offers only SIGKILL.</summary>
internal static partial class PosixSignals
{
    private const int SigTerm = 15;

    public static bool Terminate(int pid) => kill(pid, SigTerm) == 0;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
