using Orleans.Runtime;

namespace SlmCluster.GrainTests.Infrastructure;

/// <summary>
/// Where the cluster's own grain directory (Orleans' default, partitioned over the silos: LocalGrainDirectory in
/// Orleans 10.4) keeps a grain's entry: the active silos on a ring ordered by their consistent hash, the entry with the
/// last silo whose hash is at most the grain's, else with the last silo. A grain registered there is deactivated when
/// the silo holding its entry dies.
/// </summary>
internal static class InClusterDirectory
{
    public static SiloAddress Owner(GrainId grain, IEnumerable<SiloAddress> activeSilos)
    {
        var hash = unchecked((int)grain.GetUniformHashCode());
        var ring = activeSilos.OrderBy(s => s.GetConsistentHashCode()).ToList();
        return ring.LastOrDefault(s => s.GetConsistentHashCode() <= hash) ?? ring[^1];
    }
}
