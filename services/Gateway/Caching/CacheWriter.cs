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
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then says false when full, and the entry is counted as dropped
    });

    private long _dropped;
    private long _written;

    /// <summary>Entries stored so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Entries not stored because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues one entry; never waits.</summary>
    public void Enqueue(string key, byte[] value, TimeSpan ttl)
    {
        if (!_queue.Writer.TryWrite(new Entry(key, value, ttl)))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

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
            if (entries.Count == 1)
            {
                return await db.StringSetAsync(entries[0].Key, entries[0].Value, entries[0].Ttl) ? 1 : 0;
            }

            var redisBatch = db.CreateBatch();
            var writes = new Task<bool>[entries.Count];
            for (var i = 0; i < entries.Count; i++)
            {
                writes[i] = redisBatch.StringSetAsync(entries[i].Key, entries[i].Value, entries[i].Ttl);
            }

            redisBatch.Execute();
            var stored = 0;
            foreach (var ok in await Task.WhenAll(writes))
            {
                stored += ok ? 1 : 0;
            }

            return stored;
        });
        if (outcome.Succeeded)
        {
            Interlocked.Add(ref _written, outcome.Value);
        }
        else
        {
            LogNotStored(logger, entries.Count);
        }
    }

    private readonly record struct Entry(string Key, byte[] Value, TimeSpan Ttl);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Count} cache entries not stored: Redis is unavailable")]
    private static partial void LogNotStored(ILogger logger, int count);
}
