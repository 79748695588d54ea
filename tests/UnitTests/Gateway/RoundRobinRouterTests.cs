using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Hosting;
using SlmCluster.Gateway.Routing;
using SlmCluster.Protocol.V1;

namespace SlmCluster.UnitTests.Gateway;

public sealed class RoundRobinRouterTests : IDisposable
{
    private readonly WorkerPool _pool;

    public RoundRobinRouterTests()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:worker:grpc:0"] = "http://127.0.0.1:5101",
            ["services:worker:grpc:1"] = "http://127.0.0.1:5102",
            ["services:worker:grpc:2"] = "http://127.0.0.1:5103",
        }).Build();
        _pool = new WorkerPool(configuration, Options.Create(new GatewayOptions()));
        Serve(_pool.Workers[0], "stories");
        Serve(_pool.Workers[1], "stories");
        Serve(_pool.Workers[2], "other");
    }

    public void Dispose() => _pool.Dispose();

    [Fact]
    public void Endpoints_handed_over_the_aspire_way_are_read_in_order()
    {
        Assert.Equal(["http://127.0.0.1:5101/", "http://127.0.0.1:5102/", "http://127.0.0.1:5103/"], _pool.Workers.Select(w => w.Address.ToString()));
    }

    [Fact]
    public void Picks_alternate_between_the_workers_serving_the_model()
    {
        var router = new RoundRobinRouter(_pool);

        var picks = Enumerable.Range(0, 10).Select(_ => router.Pick("stories", [])!).ToArray();

        Assert.All(picks, w => Assert.True(w.Serves("stories")));
        Assert.Equal(5, picks.Count(w => w == _pool.Workers[0]));
        Assert.Equal(5, picks.Count(w => w == _pool.Workers[1]));
    }

    [Fact]
    public void Unhealthy_and_excluded_workers_are_never_picked()
    {
        var router = new RoundRobinRouter(_pool);
        _pool.Workers[0].IsHealthy = false;

        Assert.Equal(_pool.Workers[1], router.Pick("stories", []));
        Assert.Null(router.Pick("stories", [_pool.Workers[1]]));
    }

    [Fact]
    public void A_model_nobody_serves_gets_no_worker()
    {
        Assert.Null(new RoundRobinRouter(_pool).Pick("missing", []));
    }

    [Fact]
    public void Models_are_listed_once_with_their_replica_count()
    {
        var models = _pool.Models();

        Assert.Equal([("other", 1), ("stories", 2)], models.Select(m => (m.Model.Id, m.Replicas)));
    }

    private static void Serve(WorkerEndpoint worker, string model)
    {
        worker.Models = [new ModelInfo { Id = model }];
        worker.IsHealthy = true;
    }
}
