using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using SlmCluster.Redis;
using StackExchange.Redis;

namespace SlmCluster.Gateway.Caching;

/// <summary>
/// Embedding vectors kept in Redis, one entry per input (<see cref="EmbeddingCacheKey"/>), on the response cache's
/// machinery: its options (enabled, TTLs, entry size, key prefix), its <see cref="CacheKeyDirectory"/> (a key it
/// knows is absent costs no round trip), its <see cref="CacheWriter"/> (entries written behind the response) and its
/// fail-soft Redis (Redis away is a miss), and a bounded first level in this process in front of Redis, as the
/// response cache has: a vector is kept there when it is stored, so the caller's very next request finds it before the
/// writer has reached Redis. A request's Redis lookups go out as one MGET. An entry is the input's token count then
/// the vector's floats, little-endian.
/// </summary>
public sealed class EmbeddingCache(ResilientRedis redis, CacheWriter writer, CacheKeyDirectory directory, IOptions<CacheOptions> options) : IDisposable
{
    private readonly MemoryCache? _local = options.Value.LocalMaxBytes > 0
        ? new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.LocalMaxBytes })
        : null;

    public bool IsEnabled => options.Value.Enabled && redis.IsConfigured;

    public string KeyPrefix => options.Value.KeyPrefix;

    /// <summary>The kept vector of each key, null where there is none (or Redis is away).</summary>
    public async ValueTask<CachedEmbedding?[]> TryGetAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var found = new CachedEmbedding?[keys.Count];
        var asked = new List<int>(keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            if (_local is not null && _local.TryGetValue(keys[i], out CachedEmbedding local))
            {
                found[i] = local;
            }
            else if (directory.MayContain(keys[i]))
            {
                asked.Add(i);
            }
        }

        if (asked.Count == 0)
        {
            return found;
        }

        var redisKeys = asked.Select(i => (RedisKey)keys[i]).ToArray();
        var outcome = await redis.TryAsync(db => db.StringGetAsync(redisKeys), cancellationToken);
        if (!outcome.Succeeded)
        {
            return found;
        }

        for (var j = 0; j < asked.Count; j++)
        {
            var value = outcome.Value![j];
            if (value.IsNullOrEmpty)
            {
                directory.Forget(keys[asked[j]]);
                continue;
            }

            found[asked[j]] = Decode(value!);
            if (found[asked[j]] is { } hit)
            {
                KeepLocally(keys[asked[j]], hit, options.Value.LocalMaxTtl);
            }
        }

        return found;
    }

    /// <summary>Queues <paramref name="vector"/> for Redis under <paramref name="key"/>; too large an entry is skipped.</summary>
    public void Store(string key, float[] vector, int tokens, int requestedTtlSeconds)
    {
        var bytes = new byte[sizeof(int) + (vector.Length * sizeof(float))];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, tokens);
        MemoryMarshal.AsBytes(vector.AsSpan()).CopyTo(bytes.AsSpan(sizeof(int)));
        if (!BitConverter.IsLittleEndian || bytes.Length > options.Value.MaxEntryBytes)
        {
            return;
        }

        var ttl = requestedTtlSeconds > 0
            ? TimeSpan.FromSeconds(Math.Min(requestedTtlSeconds, options.Value.MaxTtl.TotalSeconds))
            : options.Value.DefaultTtl;
        KeepLocally(key, new CachedEmbedding(vector, tokens), ttl);
        directory.Add(key);
        writer.Enqueue(key, bytes, ttl);
    }

    public void Dispose() => _local?.Dispose();

    private void KeepLocally(string key, CachedEmbedding entry, TimeSpan ttl)
    {
        if (_local is null)
        {
            return;
        }

        using var cached = _local.CreateEntry(key);
        cached.Value = entry;
        cached.Size = (entry.Vector.Length * sizeof(float)) + key.Length + 64;
        cached.AbsoluteExpirationRelativeToNow = ttl < options.Value.LocalMaxTtl ? ttl : options.Value.LocalMaxTtl;
    }

    private static CachedEmbedding? Decode(byte[] bytes)
    {
        if (!BitConverter.IsLittleEndian || bytes.Length < sizeof(int) + sizeof(float) || (bytes.Length - sizeof(int)) % sizeof(float) != 0)
        {
            return null;
        }

        var tokens = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        var vector = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(sizeof(int))).ToArray();
        return new CachedEmbedding(vector, tokens);
    }
}
