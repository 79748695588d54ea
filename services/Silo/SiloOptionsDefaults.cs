namespace SlmCluster.Silo;

/// <summary>The cluster settings every SlmCluster silo starts from; configuration under <c>Orleans</c> overrides them.</summary>
public static class SiloOptionsDefaults
{
    public const string ClusterId = "slmcluster";

    public const string ServiceId = "slmcluster";

    /// <summary>The silo-to-silo port when none is configured.</summary>
    public const int SiloPort = 11111;

    /// <summary>The connection string name of the Redis that holds membership and the worker grain directory.</summary>
    public const string RedisConnectionName = "cache";

    /// <summary>
    /// How often silos probe each other. With <see cref="MissedProbesLimit"/> and a single vote this takes a silo that
    /// vanished out of the cluster in about a second and a half; a live silo on a loaded machine answers a ping in
    /// well under this.
    /// </summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(500);

    public const int MissedProbesLimit = 2;

    public const int VotesForDeathDeclaration = 1;
}
