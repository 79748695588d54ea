using System.Text.RegularExpressions;

namespace SlmCluster.AppHost;

/// <summary>Checks, before any worker starts, that <c>--device cuda</c> can work on this machine and this build.</summary>
internal static partial class GpuInventory
{
    /// <summary>NVIDIA GPUs the driver exposes here.</summary>
    public static int Count()
    {
        const string DriverGpus = "/proc/driver/nvidia/gpus";
        if (Directory.Exists(DriverGpus))
        {
            return Directory.GetDirectories(DriverGpus).Length;
        }

        return Directory.Exists("/dev") ? Directory.GetFiles("/dev").Count(f => DeviceNode().IsMatch(Path.GetFileName(f))) : 0;
    }

    /// <summary>Null when <paramref name="replicas"/> CUDA workers can start, else what is missing and what to do.</summary>
    public static string? CheckCudaWorkers(int replicas)
    {
        var gpus = Count();
        if (gpus == 0)
        {
            return "--device cuda needs an NVIDIA GPU, but this machine has none (no GPU under /proc/driver/nvidia/gpus, no /dev/nvidia0). " +
                   "Start without --device cuda (or with --device cpu) to run the workers on the CPU.";
        }

        return gpus < replicas
            ? $"--device cuda runs one worker per GPU, but {replicas} workers were asked for and this machine has {gpus} GPU(s): pass --workers {gpus}."
            : null;
    }

    [GeneratedRegex(@"^nvidia\d+$")]
    private static partial Regex DeviceNode();
}
