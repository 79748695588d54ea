using System.ComponentModel.DataAnnotations;

namespace SlmCluster.Gateway.Caching;

/// <summary>The "Gateway:Cache" configuration section: the Redis response cache.</summary>
public sealed class CacheOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>How long an answer is kept when the request does not say (<c>cache.ttl_seconds</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The longest TTL a request may ask for.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Answers larger than this are not cached.</summary>
    [Range(64, 64 * 1024 * 1024)]
    public int MaxEntryBytes { get; set; } = 256 * 1024;

    /// <summary>Namespace of the cache keys in Redis.</summary>
    [Required]
    public string KeyPrefix { get; set; } = "slm:cache:v1:";

    /// <summary>
    /// Keep the set of cached keys in the gateway (one SCAN, then Redis keyspace notifications for SET, which the
    /// gateway turns on with CONFIG SET when they are off), so a miss is answered without a Redis read. Where CONFIG
    /// is forbidden, or this is off, every cacheable request reads Redis.
    /// </summary>
    public bool TrackKeys { get; set; } = true;

    /// <summary>Most keys tracked; beyond it tracking stops (lookups read Redis) instead of growing.</summary>
    [Range(1, 100_000_000)]
    public int MaxTrackedKeys { get; set; } = 2_000_000;
}
