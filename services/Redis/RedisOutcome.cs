namespace SlmCluster.Redis;

/// <summary>The result of a Redis call that may not have happened: Redis being away is an outcome, not an exception.</summary>
public readonly record struct RedisOutcome<T>(bool Succeeded, T? Value)
{
    public static RedisOutcome<T> Unavailable => new(false, default);
}
