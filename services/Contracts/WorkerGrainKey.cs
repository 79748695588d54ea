using SlmCluster.Settings;

namespace SlmCluster.Contracts;

/// <summary>Names shared by the worker silos that host <see cref="IModelWorkerGrain"/> and the front door that finds them.</summary>
public static class WorkerGrainKey
{
    /// <summary>The grain type of the model worker, as it appears in the cluster manifest.</summary>
    public const string GrainType = "modelworker";

    /// <summary>The grain directory the worker grains register in (configured as <c>Orleans:GrainDirectory:workers</c>).</summary>
    public const string Directory = ClusterSettings.WorkerDirectory;
}
