using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using StackExchange.Redis;

namespace SlmCluster.Redis;

/// <summary>
/// The one Redis connection of a process, behind a circuit breaker: while Redis is away, calls fail
/// fast and report <see cref="RedisOutcome{T}.Unavailable"/>, the outage is logged once (not per
/// request), and the connection comes back by itself.
/// </summary>
public sealed partial class ResilientRedis : IAsyncDisposable
{
    private readonly RedisOptions _options;
    private readonly ILogger<ResilientRedis> _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly Lazy<Task<ConnectionMultiplexer?>> _connection;
    private long _outages;
    private int _inOutage;

    public ResilientRedis(IOptions<RedisOptions> options, ILogger<ResilientRedis> logger)
    {
        _options = options.Value;
        _logger = logger;
        _connection = new Lazy<Task<ConnectionMultiplexer?>>(ConnectAsync);
        _pipeline = new ResiliencePipelineBuilder()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 2,
                SamplingDuration = TimeSpan.FromSeconds(2),
                BreakDuration = _options.BreakDuration,
                ShouldHandle = new PredicateBuilder().Handle<RedisException>().Handle<RedisNotConnectedException>().Handle<TimeoutRejectedException>().Handle<TimeoutException>(),
                // The circuit re-opens after every failed probe while Redis stays away; one outage is
                // one log line, from the first opening to the closing that follows.
                OnOpened = args =>
                {
                    if (Interlocked.Exchange(ref _inOutage, 1) == 0)
                    {
                        Interlocked.Increment(ref _outages);
                        LogOutage(_logger, Endpoint, args.Outcome.Exception?.Message ?? "unknown error");
                    }

                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    if (Interlocked.Exchange(ref _inOutage, 0) == 1)
                    {
                        LogRecovered(_logger, Endpoint);
                    }

                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(_options.OperationTimeout)
            .Build();
    }

    /// <summary>Whether a connection string was given at all.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(_options.ConnectionString);

    /// <summary>Outages seen so far (each logged once).</summary>
    public long Outages => Interlocked.Read(ref _outages);

    private string Endpoint => ConfigurationOptions.Parse(_options.ConnectionString ?? "").EndPoints.FirstOrDefault()?.ToString() ?? "(none)";

    /// <summary>Runs <paramref name="operation"/>; when Redis is not configured or unavailable, reports so instead of throwing.</summary>
    public async ValueTask<RedisOutcome<T>> TryAsync<T>(Func<IDatabase, Task<T>> operation, CancellationToken cancellationToken = default)
    {
        if (!IsConfigured || await _connection.Value is not { } connection)
        {
            return RedisOutcome<T>.Unavailable;
        }

        try
        {
            var value = await _pipeline.ExecuteAsync(
                static async (state, _) =>
                {
                    if (!state.connection.IsConnected)
                    {
                        throw new RedisNotConnectedException();
                    }

                    return await state.operation(state.connection.GetDatabase());
                },
                (connection, operation),
                cancellationToken);
            return new RedisOutcome<T>(true, value);
        }
        catch (Exception e) when (e is BrokenCircuitException or RedisException or RedisNotConnectedException or TimeoutRejectedException or TimeoutException)
        {
            return RedisOutcome<T>.Unavailable;
        }
    }

    /// <summary>
    /// The connection itself, for what the guarded calls do not cover (server commands, subscriptions, connection
    /// events); null when Redis is not configured or the connection string is unusable. Callers handle failures.
    /// </summary>
    public async ValueTask<ConnectionMultiplexer?> GetConnectionAsync() =>
        IsConfigured ? await _connection.Value : null;

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated && await _connection.Value is { } connection)
        {
            await connection.CloseAsync();
            connection.Dispose();
        }
    }

    private async Task<ConnectionMultiplexer?> ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(_options.ConnectionString!);
        // Keep trying in the background: a gateway must start (and serve) while Redis is still down.
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = (int)Math.Max(_options.OperationTimeout.TotalMilliseconds * 2, 1000);
        configuration.SyncTimeout = (int)_options.OperationTimeout.TotalMilliseconds;
        configuration.ConnectRetry = 1;
        configuration.KeepAlive = 1;
        // The client side of CONFIG (the gateway turns on keyspace notifications); whether the server allows it is the server's call.
        configuration.AllowAdmin = true;
        try
        {
            return await ConnectionMultiplexer.ConnectAsync(configuration, new LogWriter(_logger));
        }
        catch (RedisException e)
        {
            LogCannotConnect(_logger, Endpoint, e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis at {Endpoint} is unavailable ({Reason}); serving without the response cache and registry until it is back")]
    private static partial void LogOutage(ILogger logger, string endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis at {Endpoint} is available again")]
    private static partial void LogRecovered(ILogger logger, string endpoint);

    [LoggerMessage(Level = LogLevel.Error, Message = "Redis connection string for {Endpoint} is unusable: {Reason}")]
    private static partial void LogCannotConnect(ILogger logger, string endpoint, string reason);

    private sealed class RedisNotConnectedException() : Exception("Redis is not connected.");

    /// <summary>StackExchange.Redis writes its connection chatter to a TextWriter; keep it at Debug.</summary>
    private sealed class LogWriter(ILogger logger) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void WriteLine(string? value)
        {
            if (value is not null && logger.IsEnabled(LogLevel.Debug))
            {
                logger.LogDebug("{RedisLog}", value);
            }
        }
    }
}
