namespace SlmCluster.IntegrationTests.ContainerSuite;

/// <summary>
/// The container suite's tests run one after another: each starts a whole cluster, and two at once on a 2-core
/// machine would measure each other's load, not the faults.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ContainerSuiteCollection
{
    public const string Name = "Container cluster";
}
