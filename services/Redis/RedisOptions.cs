using System.ComponentModel.DataAnnotations;

namespace SlmCluster.Redis;

/// <summary>How a service talks to Redis; the connection string comes from <c>ConnectionStrings:&lt;name&gt;</c>, as Aspire hands it over.</summary>
public sealed class RedisOptions
{
    /// <summary>StackExchange.Redis configuration, e.g. <c>127.0.0.1:6379,password=...</c>; empty runs without Redis.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Longest a single Redis call may take before it counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long calls fail fast after Redis was found unavailable, before one is let through to test it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(1);
}
