using System.Globalization;
using Microsoft.Extensions.Options;
using SlmCluster.Redis;
using StackExchange.Redis;

namespace SlmCluster.Gateway.Caching;

/// <summary>
/// Which cache keys exist in Redis, kept in the gateway so that a miss costs no Redis round trip: filled by one
/// SCAN of the namespace and kept current by Redis keyspace notifications for SET (every gateway's writes, and its
/// own at once). Only while the view is complete — subscribed, scanned, and connected ever since — may a key it does
/// not hold be answered "not cached" without asking Redis; otherwise every lookup reads Redis as before.
/// A stale entry (expired, evicted) only costs the read it would have cost anyway, and is forgotten on that miss.
/// </summary>
public sealed partial class CacheKeyDirectory(ResilientRedis redis, IOptions<CacheOptions> options, ILogger<CacheKeyDirectory> logger)
    : BackgroundService
{
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly HashSet<ulong> _keys = [];
    private readonly SemaphoreSlim _resync = new(0, 1);
    private volatile bool _complete;
    private long _epoch;
    private bool _subscribed;
    private bool _eventsHooked;
    private bool _unavailableLogged;
    private volatile bool _overflowed;

    /// <summary>Keys known now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _keys.Count;
            }
        }
    }

    /// <summary>Whether Redis may hold <paramref name="key"/>: always true while the view is not complete.</summary>
    public bool MayContain(string key)
    {
        if (!_complete)
        {
            return true;
        }

        var fingerprint = Fingerprint(key);
        lock (_gate)
        {
            return _keys.Contains(fingerprint);
        }
    }

    /// <summary>A key just written (by this gateway, or announced by Redis).</summary>
    public void Add(string key)
    {
        var fingerprint = Fingerprint(key);
        lock (_gate)
        {
            if (_keys.Count >= options.Value.MaxTrackedKeys && !_keys.Contains(fingerprint))
            {
                // Too many to keep: stop answering misses locally rather than let memory grow; Redis answers again.
                _complete = false;
                _overflowed = true;
                _keys.Clear();
                LogTooManyKeys(logger, options.Value.MaxTrackedKeys);
                return;
            }

            _keys.Add(fingerprint);
        }
    }

    /// <summary>A key Redis did not have when asked (expired or evicted since it was seen).</summary>
    public void Forget(string key)
    {
        var fingerprint = Fingerprint(key);
        lock (_gate)
        {
            _keys.Remove(fingerprint);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled || !options.Value.TrackKeys || !redis.IsConfigured)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            if (!_complete && !_overflowed)
            {
                await TrySynchronizeAsync(stoppingToken);
            }

            try
            {
                await _resync.WaitAsync(RetryPeriod, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task TrySynchronizeAsync(CancellationToken cancellationToken)
    {
        var epoch = Interlocked.Read(ref _epoch);
        try
        {
            if (await redis.GetConnectionAsync() is not { IsConnected: true } connection)
            {
                return;
            }

            HookConnectionEvents(connection);
            if (!await EnableSetNotificationsAsync(connection))
            {
                return;
            }

            var prefix = options.Value.KeyPrefix;
            if (!_subscribed)
            {
                var channel = new RedisChannel(
                    string.Create(CultureInfo.InvariantCulture, $"__keyevent@{connection.GetDatabase().Database}__:set"), RedisChannel.PatternMode.Literal);
                await connection.GetSubscriber().SubscribeAsync(channel, (_, value) =>
                {
                    string? key = value;
                    if (key is not null && key.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        Add(key);
                    }
                });
                _subscribed = true;
            }

            // Subscribed first, then scanned: a key written in between is seen by one or the other.
            lock (_gate)
            {
                _keys.Clear();
            }

            // The client's key enumeration pages through SCAN.
            var server = connection.GetServer(connection.GetEndPoints()[0]);
            await foreach (var key in server.KeysAsync(connection.GetDatabase().Database, prefix + "*", pageSize: 1000).WithCancellation(cancellationToken))
            {
                Add(key.ToString());
            }

            // A connection failure during the scan may have lost notifications: try again rather than trust it.
            if (Interlocked.Read(ref _epoch) == epoch)
            {
                _complete = true;
                _unavailableLogged = false;
                LogTracking(logger, Count);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogUnavailable(e.Message);
        }
    }

    /// <summary>Turns on keyspace notifications for SET (keeping whatever else is on); false when the server refuses.</summary>
    private async Task<bool> EnableSetNotificationsAsync(ConnectionMultiplexer connection)
    {
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var current = (await server.ConfigGetAsync("notify-keyspace-events")).FirstOrDefault().Value ?? "";
        var hasKeyevents = current.Contains('E', StringComparison.Ordinal);
        var hasStringCommands = current.Contains('$', StringComparison.Ordinal) || current.Contains('A', StringComparison.Ordinal);
        if (hasKeyevents && hasStringCommands)
        {
            return true;
        }

        var wanted = current + (hasKeyevents ? "" : "E") + (hasStringCommands ? "" : "$");
        try
        {
            await server.ConfigSetAsync("notify-keyspace-events", wanted);
            LogNotificationsEnabled(logger, wanted);
            return true;
        }
        catch (RedisException e)
        {
            // Managed Redis often forbids CONFIG: every lookup reads Redis then, which is correct, only slower.
            LogUnavailable($"CONFIG SET notify-keyspace-events {wanted} was refused ({e.Message})");
            return false;
        }
    }

    private void HookConnectionEvents(ConnectionMultiplexer connection)
    {
        if (_eventsHooked)
        {
            return;
        }

        _eventsHooked = true;
        connection.ConnectionFailed += (_, _) =>
        {
            Interlocked.Increment(ref _epoch);
            _complete = false;
        };
        connection.ConnectionRestored += (_, _) =>
        {
            Interlocked.Increment(ref _epoch);
            _complete = false;
            try
            {
                _resync.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        };
    }

    private void LogUnavailable(string reason)
    {
        if (!_unavailableLogged)
        {
            _unavailableLogged = true;
            LogNotTracking(logger, reason);
        }
    }

    /// <summary>64 bits of the key's SHA-256 (its hex after the prefix); another key falls back to its string hash.</summary>
    private ulong Fingerprint(string key)
    {
        var prefix = options.Value.KeyPrefix;
        if (key.Length >= prefix.Length + 16 && key.StartsWith(prefix, StringComparison.Ordinal) &&
            ulong.TryParse(key.AsSpan(prefix.Length, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bits))
        {
            return bits;
        }

        return (ulong)(uint)StringComparer.Ordinal.GetHashCode(key);
    }

    public override void Dispose()
    {
        _resync.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache key tracking is on ({Count} keys known): a miss no longer reads Redis")]
    private static partial void LogTracking(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Turned on Redis keyspace notifications for SET (notify-keyspace-events {Flags}) to track cache keys")]
    private static partial void LogNotificationsEnabled(ILogger logger, string flags);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache key tracking is off ({Reason}); every cacheable request reads Redis")]
    private static partial void LogNotTracking(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "More than {Limit} cache keys to track; tracking stops and every cacheable request reads Redis")]
    private static partial void LogTooManyKeys(ILogger logger, int limit);
}
