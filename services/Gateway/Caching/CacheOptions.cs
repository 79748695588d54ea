using System.ComponentModel.DataAnnotations;

namespace SlmCluster.Gateway.Caching;

/// <summary>The "Gateway:Cache" configuration section: the Redis response cache.</summary>
public sealed class CacheOptions
{
    public const string SectionName = "Gateway:Cache";

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

    /// <summary>
    /// Memory for the gateway's own first level in front of Redis, counted as twice an entry's encoded size plus its
    /// key (strings are UTF-16 in memory); beyond it the least used entries are dropped, and Redis still has them.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long LocalMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Longest an entry is kept in the first level (never longer than its TTL in Redis): how long a key deleted from
    /// Redis by hand may still be served by a gateway that had it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LocalMaxTtl { get; set; } = TimeSpan.FromMinutes(5);

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
