using System.Runtime.InteropServices;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>POSIX signals as a user or an orchestrator sends them.</summary>
internal static partial class Signals
{
    public const int SigInt = 2;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    public static void Send(int pid, int signal) => Assert.Equal(0, kill(pid, signal));

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
