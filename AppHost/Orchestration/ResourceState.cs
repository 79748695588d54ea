namespace SlmCluster.AppHost.Orchestration;

/// <summary>Where a resource is in its life, as the start-up table shows it.</summary>
internal enum ResourceState
{
    Waiting,
    Starting,
    Running,
    Skipped,
    Failed,
    Stopping,
    Stopped,
}
