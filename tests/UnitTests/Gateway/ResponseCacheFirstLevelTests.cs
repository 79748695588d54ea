using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Caching;
using SlmCluster.Protocol.V1;
using SlmCluster.Redis;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>The response cache's first level, in the gateway's memory: what it keeps, and for how long.</summary>
public sealed class ResponseCacheFirstLevelTests : IAsyncDisposable
{
    private readonly ResilientRedis _redis = new(Options.Create(new RedisOptions()), NullLogger<ResilientRedis>.Instance);
    private readonly CacheOptions _options = new() { MaxEntryBytes = 1024 };
    private readonly ResponseCache _cache;

    public ResponseCacheFirstLevelTests()
    {
        // No Redis here: whatever is found was kept in the process.
        var options = Options.Create(_options);
        _cache = new ResponseCache(_redis, new CacheWriter(_redis, NullLogger<CacheWriter>.Instance),
            new CacheKeyDirectory(_redis, options, NullLogger<CacheKeyDirectory>.Instance), options, NullLogger<ResponseCache>.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        _cache.Dispose();
        await _redis.DisposeAsync();
    }

    private static GenerateResponse Answer(string text) =>
        new() { Text = text, FinishReason = FinishReason.Stop, Usage = new Usage { PromptTokens = 3, CompletionTokens = 5 } };

    [Fact]
    public async Task A_stored_answer_is_found_at_once()
    {
        _cache.Store("k1", Answer("a fox"), requestedTtlSeconds: 0);

        var found = await _cache.TryGetAsync("k1", CancellationToken.None);

        Assert.NotNull(found);
        Assert.Equal("a fox", found.Text);
        Assert.Equal(5, found.Usage.CompletionTokens);
        Assert.Null(await _cache.TryGetAsync("k2", CancellationToken.None));
    }

    [Fact]
    public async Task An_answer_is_not_found_after_the_ttl_its_request_asked_for()
    {
        _cache.Store("short", Answer("soon gone"), requestedTtlSeconds: 1);
        Assert.NotNull(await _cache.TryGetAsync("short", CancellationToken.None));

        await Task.Delay(TimeSpan.FromMilliseconds(1200));

        Assert.Null(await _cache.TryGetAsync("short", CancellationToken.None));
    }

    [Fact]
    public async Task An_answer_larger_than_the_entry_limit_is_not_kept()
    {
        _cache.Store("big", Answer(new string('x', 2048)), requestedTtlSeconds: 0);

        Assert.Null(await _cache.TryGetAsync("big", CancellationToken.None));
    }

    [Fact]
    public async Task The_kept_answer_does_not_change_when_the_callers_copy_does()
    {
        var answer = Answer("steady");
        _cache.Store("k3", answer, requestedTtlSeconds: 0);
        answer.Usage.CompletionTokens = 99;

        Assert.Equal(5, (await _cache.TryGetAsync("k3", CancellationToken.None))!.Usage.CompletionTokens);
    }
}
