using System.Text.Json;
using StackExchange.Redis;

namespace SlmCluster.Redis.Registry;

/// <summary>
/// The worker registry in Redis: one key per worker with a short TTL (a worker that stops refreshing
/// disappears by itself) and a set indexing them, so readers need no KEYS or SCAN.
/// </summary>
public sealed class WorkerRegistry(ResilientRedis redis)
{
    public const string KeyPrefix = "slm:workers:";
    public const string IndexKey = "slm:workers";

    public bool IsConfigured => redis.IsConfigured;

    public static string KeyOf(string workerId) => KeyPrefix + workerId;

    /// <summary>Announces (or refreshes) <paramref name="registration"/>; false when Redis is away.</summary>
    public async ValueTask<bool> PublishAsync(WorkerRegistration registration, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        var json = JsonSerializer.Serialize(registration, RegistryJsonContext.Default.WorkerRegistration);
        var outcome = await redis.TryAsync(async db =>
        {
            var set = db.StringSetAsync(KeyOf(registration.Id), json, timeToLive);
            var index = db.SetAddAsync(IndexKey, registration.Id);
            await Task.WhenAll(set, index);
            return set.Result;
        }, cancellationToken);
        return outcome.Succeeded && outcome.Value;
    }

    /// <summary>Takes a worker out of the registry.</summary>
    public async ValueTask<bool> RemoveAsync(string workerId, CancellationToken cancellationToken = default)
    {
        var outcome = await redis.TryAsync(async db =>
        {
            await Task.WhenAll(db.KeyDeleteAsync(KeyOf(workerId)), db.SetRemoveAsync(IndexKey, workerId));
            return true;
        }, cancellationToken);
        return outcome.Succeeded;
    }

    /// <summary>Every live registration, or null when Redis cannot be read (the caller keeps its last view).</summary>
    public async ValueTask<IReadOnlyList<WorkerRegistration>?> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        var outcome = await redis.TryAsync(async db =>
        {
            var ids = await db.SetMembersAsync(IndexKey);
            if (ids.Length == 0)
            {
                return [];
            }

            var values = await db.StringGetAsync(ids.Select(id => (RedisKey)KeyOf(id!)).ToArray());
            var live = new List<WorkerRegistration>(ids.Length);
            var expired = new List<RedisValue>();
            for (var i = 0; i < ids.Length; i++)
            {
                if (values[i].IsNullOrEmpty)
                {
                    expired.Add(ids[i]);
                }
                else if (Parse(values[i]!) is { } registration)
                {
                    live.Add(registration);
                }
            }

            if (expired.Count > 0)
            {
                // Keys expire by themselves; the index is tidied by whoever notices.
                _ = db.SetRemoveAsync(IndexKey, expired.ToArray(), CommandFlags.FireAndForget);
            }

            return (IReadOnlyList<WorkerRegistration>)live;
        }, cancellationToken);
        return outcome.Succeeded ? outcome.Value : null;
    }

    private static WorkerRegistration? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, RegistryJsonContext.Default.WorkerRegistration);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
