namespace SlmCluster.Hosting.Publishing;

/// <summary>What a worker pod runs its model on.</summary>
internal enum WorkerDevice
{
    /// <summary>CPUs only; the pod asks for as many cores as it runs threads.</summary>
    Cpu,

    /// <summary>One NVIDIA GPU per pod, every layer offloaded.</summary>
    Cuda,
}
