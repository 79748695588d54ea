namespace SlmCluster.SiloConfiguration;

/// <summary>
/// The membership and directory settings every SlmCluster silo starts from; configuration under <c>Orleans</c>
/// overrides them. The ids, the port and the Redis are the cluster's own (<c>ClusterSettings</c>).
/// </summary>
public static class SiloOptionsDefaults
{
    /// <summary>
    /// How often silos probe each other. With <see cref="MissedProbesLimit"/> and <see cref="VotesForDeathDeclaration"/>
    /// a silo that vanished is declared dead after three missed probe rounds. Routing does not wait for that: the front
    /// door takes a worker out the moment a call or its status read finds the silo unreachable (a killed process
    /// refuses connections at once). Tighter settings declared live silos dead on a 2-core machine whose cores
    /// llama.cpp and JIT kept busy, and a silo declared dead stops itself (docs/benchmarks.md, "Measured decisions").
    /// </summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    public const int MissedProbesLimit = 3;

    public const int VotesForDeathDeclaration = 2;

    /// <summary>
    /// Grain locations a silo keeps in its directory cache. Orleans' default, a million, sizes the cache's table for a
    /// million entries up front, and the dashboard's metrics reader counts the cache every second by walking that
    /// table, CPU every silo spends busy or idle, taken from llama.cpp's cores. This cluster's grains are its model
    /// grains (one per worker) and the dashboard's few.
    /// </summary>
    public const int DirectoryCacheSize = 10_000;
}
