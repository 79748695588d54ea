using Google.Protobuf;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using SlmCluster.Protocol.V1;
using SlmCluster.Redis;

namespace SlmCluster.Gateway.Caching;

/// <summary>
/// Answers kept in Redis — text, finish reason, usage, token logprobs when asked for and a cascade route's record, as
/// a protobuf <see cref="GenerateResponse"/> — with a
/// bounded first level in this process in front of it. An answer is put in the first level synchronously when it is
/// stored (so the caller's very next identical request finds it), and one read from Redis is kept there for the rest
/// of its TTL; a first-level hit costs no Redis round trip. Redis still gets every answer, written by
/// <see cref="CacheWriter"/> behind the response, so the other gateways find it. Reads fail soft: Redis away is a miss.
/// </summary>
/// <remarks>
/// Microsoft.Extensions.Caching.Hybrid was considered for this and not taken: its stampede protection runs a
/// factory that returns the value, while here the leader streams tokens to its own caller as they come, the
/// waiters only take the final answer, and a leader that fails or is cancelled must neither hand its partial answer
/// on nor have it stored (its waiters generate for themselves, see <see cref="SingleFlight"/>). Its second level is
/// an IDistributedCache whose Redis implementation keeps a hash per entry on a connection of its own, outside our
/// circuit breaker, which our SET keyspace tracking (<see cref="CacheKeyDirectory"/>) and plain GETs would not see;
/// and a lookup that must not create an entry has to go through a factory. A size-limited MemoryCache gives the
/// first level without bending those semantics.
/// </remarks>
public sealed partial class ResponseCache(
    ResilientRedis redis, CacheWriter writer, CacheKeyDirectory directory, IOptions<CacheOptions> options, ILogger<ResponseCache> logger)
    : IDisposable
{
    /// <summary>What an entry costs in the first level beyond its text: the object, its usage, the key's entry.</summary>
    private const int LocalEntryOverheadBytes = 256;

    private readonly CacheOptions _options = options.Value;
    private readonly MemoryCache? _local = options.Value.LocalMaxBytes > 0
        ? new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.LocalMaxBytes })
        : null;

    /// <summary>Answers are kept (in Redis, and in front of it in this process).</summary>
    public bool IsEnabled => _options.Enabled && redis.IsConfigured;

    /// <summary>Reproducible requests are keyed: for Redis, and for sharing one generation among identical requests in flight.</summary>
    public bool IsConfiguredForUse => _options.Enabled;

    public string KeyPrefix => _options.KeyPrefix;

    /// <summary>The answer kept under <paramref name="key"/>: from this process when it is there, else from Redis; null on a miss.</summary>
    public async ValueTask<GenerateResponse?> TryGetAsync(string key, CancellationToken cancellationToken)
    {
        if (_local is not null && _local.TryGetValue(key, out GenerateResponse? local))
        {
            return local;
        }

        if (!directory.MayContain(key))
        {
            return null;
        }

        // GET and PTTL in one round trip: the first level keeps the answer no longer than Redis does.
        var outcome = await redis.TryAsync(db => db.StringGetWithExpiryAsync(key), cancellationToken);
        if (!outcome.Succeeded)
        {
            return null;
        }

        if (outcome.Value.Value.IsNullOrEmpty)
        {
            directory.Forget(key);
            return null;
        }

        byte[] bytes = outcome.Value.Value!;
        GenerateResponse answer;
        try
        {
            answer = GenerateResponse.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            LogCorruptEntry(logger, key);
            return null;
        }

        if (outcome.Value.Expiry is not { } remaining || remaining > TimeSpan.Zero)
        {
            KeepLocally(key, answer, bytes.Length, outcome.Value.Expiry ?? _options.LocalMaxTtl);
        }

        return answer;
    }

    /// <summary>
    /// Keeps <paramref name="response"/>: in this process at once, and queued for Redis without touching it here;
    /// too-large answers are skipped. Call it before the caller can have the answer, so a repeat finds it.
    /// </summary>
    public void Store(string key, GenerateResponse response, int requestedTtlSeconds)
    {
        var entry = new GenerateResponse
        {
            Text = response.Text,
            FinishReason = response.FinishReason,
            Usage = response.Usage?.Clone(),
            // A cascade route's answer keeps its record, which its replays carry.
            Served = response.Served?.Cascade is { } cascade ? new Served { Cascade = cascade.Clone() } : null,
        };
        // Only requests that asked for logprobs have them, and only under their own keys (ResponseCacheKey).
        entry.Logprobs.Add(response.Logprobs);
        var bytes = entry.ToByteArray();
        if (bytes.Length > _options.MaxEntryBytes)
        {
            LogTooLarge(logger, bytes.Length, _options.MaxEntryBytes);
            return;
        }

        var ttl = requestedTtlSeconds > 0
            ? TimeSpan.FromSeconds(Math.Min(requestedTtlSeconds, _options.MaxTtl.TotalSeconds))
            : _options.DefaultTtl;
        KeepLocally(key, entry, bytes.Length, ttl);
        directory.Add(key);
        writer.Enqueue(key, bytes, ttl);
    }

    public void Dispose() => _local?.Dispose();

    private void KeepLocally(string key, GenerateResponse answer, int encodedBytes, TimeSpan ttl)
    {
        if (_local is null)
        {
            return;
        }

        using var entry = _local.CreateEntry(key);
        entry.Value = answer;
        entry.Size = 2L * (key.Length + encodedBytes) + LocalEntryOverheadBytes;
        entry.AbsoluteExpirationRelativeToNow = ttl < _options.LocalMaxTtl ? ttl : _options.LocalMaxTtl;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache entry {Key} is not a valid response; treated as a miss")]
    private static partial void LogCorruptEntry(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Answer of {Bytes} bytes not cached (limit {Limit})")]
    private static partial void LogTooLarge(ILogger logger, int bytes, int limit);
}
