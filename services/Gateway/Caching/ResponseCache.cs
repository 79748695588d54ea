using Google.Protobuf;
using Microsoft.Extensions.Options;
using SlmCluster.Protocol.V1;
using SlmCluster.Redis;

namespace SlmCluster.Gateway.Caching;

/// <summary>
/// Answers kept in Redis: text, finish reason and usage, as a protobuf <see cref="GenerateResponse"/>.
/// Reads fail soft (Redis away is a miss); writes are queued for <see cref="CacheWriter"/>, so they never hold up a response.
/// </summary>
public sealed partial class ResponseCache(ResilientRedis redis, CacheWriter writer, CacheKeyDirectory directory, IOptions<CacheOptions> options, ILogger<ResponseCache> logger)
{
    /// <summary>Answers are kept in Redis.</summary>
    public bool IsEnabled => options.Value.Enabled && redis.IsConfigured;

    /// <summary>Reproducible requests are keyed: for Redis, and for sharing one generation among identical requests in flight.</summary>
    public bool IsConfiguredForUse => options.Value.Enabled;

    public string KeyPrefix => options.Value.KeyPrefix;

    public async ValueTask<GenerateResponse?> TryGetAsync(string key, CancellationToken cancellationToken)
    {
        if (!directory.MayContain(key))
        {
            return null;
        }

        var outcome = await redis.TryAsync(async db => (byte[]?)await db.StringGetAsync(key), cancellationToken);
        if (!outcome.Succeeded)
        {
            return null;
        }

        if (outcome.Value is not { Length: > 0 } bytes)
        {
            directory.Forget(key);
            return null;
        }

        try
        {
            return GenerateResponse.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            LogCorruptEntry(logger, key);
            return null;
        }
    }

    /// <summary>Queues <paramref name="response"/> for storing, without touching Redis here; too-large answers are skipped.</summary>
    public void StoreInBackground(string key, GenerateResponse response, int requestedTtlSeconds)
    {
        var entry = new GenerateResponse { Text = response.Text, FinishReason = response.FinishReason, Usage = response.Usage };
        var bytes = entry.ToByteArray();
        if (bytes.Length > options.Value.MaxEntryBytes)
        {
            LogTooLarge(logger, bytes.Length, options.Value.MaxEntryBytes);
            return;
        }

        var ttl = requestedTtlSeconds > 0
            ? TimeSpan.FromSeconds(Math.Min(requestedTtlSeconds, options.Value.MaxTtl.TotalSeconds))
            : options.Value.DefaultTtl;
        directory.Add(key);
        writer.Enqueue(key, bytes, ttl);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache entry {Key} is not a valid response; treated as a miss")]
    private static partial void LogCorruptEntry(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Answer of {Bytes} bytes not cached (limit {Limit})")]
    private static partial void LogTooLarge(ILogger logger, int bytes, int limit);
}
