using System.ComponentModel.DataAnnotations;

namespace SlmCluster.Gateway.Configuration;

/// <summary>The "Gateway:Routing" configuration section.</summary>
public sealed class RoutingOptions
{
    /// <summary>How many more outstanding requests than the least busy candidate a worker may carry and still keep its sessions.</summary>
    [Range(0, 10_000)]
    public int AffinityMaxImbalance { get; set; } = 4;

    /// <summary>Characters of a prompt's opening (or a chat's first message) that key prefix affinity.</summary>
    [Range(1, 1 << 20)]
    public int AffinityPrefixCharacters { get; set; } = 256;

    /// <summary>Sessions and prefixes remembered per gateway.</summary>
    [Range(16, 10_000_000)]
    public int AffinityCapacity { get; set; } = 100_000;
}
