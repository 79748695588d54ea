using SlmCluster.Testing;
namespace SlmCluster.GrainTests.Infrastructure;

/// <summary>
/// One Redis for the whole collection, and a cluster of two worker silos shared by the tests that leave it as they
/// found it (tests that kill silos start their own).
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private LocalRedisServer? _redis;
    private Task<WorkerCluster>? _shared;

    public LocalRedisServer Redis => _redis ?? throw new InvalidOperationException("Redis is not started yet.");

    /// <summary>Two worker silos, started on first use.</summary>
    public Task<WorkerCluster> SharedClusterAsync() => _shared ??= WorkerCluster.StartAsync(Redis, workers: 2);

    public async Task InitializeAsync() => _redis = await LocalRedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        try
        {
            if (_shared is { IsCompletedSuccessfully: true })
            {
                await (await _shared).DisposeAsync();
            }
        }
        finally
        {
            if (_redis is not null)
            {
                await _redis.DisposeAsync();
            }
        }
    }
}

/// <summary>The grain tests run one after another: each starts silos on a shared 2-core machine.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "worker silos";
}
