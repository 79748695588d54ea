namespace SlmCluster.IntegrationTests.AppHost;

/// <summary>
/// The tests that run whole AppHost clusters and time what happens in them (a kill, a join, a drain): one cluster
/// at a time, alone on the machine, so their timings measure the cluster and not the other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AppHostClusterCollection
{
    public const string Name = "apphost-cluster";
}
