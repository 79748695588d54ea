using System.Threading.Channels;
using SlmCluster.Redis;
using StackExchange.Redis;

namespace SlmCluster.Gateway.Caching;

/// <summary>
/// Writes cache entries behind the responses: the request path only queues an entry (no socket write, no
/// Redis round trip before the caller's trailers), and one background loop sends what is queued, several
/// entries in one batch when they pile up. A full queue drops the newest entry (a cache is allowed to forget).
/// </summary>
public sealed partial class CacheWriter(ResilientRedis redis, ILogger<CacheWriter> logger) : BackgroundService
{
    /// <summary>Entries waiting at most; more are dropped rather than holding memory while Redis is slow.</summary>
    public const int QueueCapacity = 4096;

    private const int MaxBatch = 64;

    private readonly Channel<Entry> _queue = Channel.CreateBounded<Entry>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then refuses the entry instead of evicting one
    });

    /// <summary>Queues one entry; never waits (a full queue drops it).</summary>
    public void Enqueue(string key, byte[] value, TimeSpan ttl) => _queue.Writer.TryWrite(new Entry(key, value, ttl));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Entry>(MaxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var entry))
                {
                    batch.Add(entry);
                }

                await WriteAsync(batch);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is still queued is a cache's to lose.
        }
    }

    private async Task WriteAsync(List<Entry> entries)
    {
        var outcome = await redis.TryAsync(async db =>
        {
            var redisBatch = db.CreateBatch();
            var writes = entries.Select(e => redisBatch.StringSetAsync(e.Key, e.Value, e.Ttl)).ToArray();
            redisBatch.Execute();
            await Task.WhenAll(writes);
            return true;
        });
        if (!outcome.Succeeded)
        {
            LogNotStored(logger, entries.Count);
        }
    }

    private readonly record struct Entry(string Key, byte[] Value, TimeSpan Ttl);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Count} cache entries not stored: Redis is unavailable")]
    private static partial void LogNotStored(ILogger logger, int count);
}
