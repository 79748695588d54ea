using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Api.Grpc;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Routing;
using SlmCluster.Protocol.V1;

namespace SlmCluster.UnitTests.Gateway;

public sealed class LeastOutstandingRouterTests : IDisposable
{
    private readonly WorkerPool _pool;
    private readonly LeastOutstandingRouter _router;
    private readonly List<RoutedWorker.Lease> _leases = [];

    public LeastOutstandingRouterTests()
    {
        var options = Options.Create(new GatewayOptions { Routing = new RoutingOptions { AffinityMaxImbalance = 2 } });
        _pool = new WorkerPool();
        for (var i = 0; i < 5; i++)
        {
            // The router reads only the pool's bookkeeping; no call reaches a grain here.
            _pool.Add(new RoutedWorker($"S127.0.0.1:{11101 + i}:1", grain: null!));
        }

        for (var i = 0; i < 4; i++)
        {
            Serve(_pool.Workers[i], "stories");
        }

        Serve(_pool.Workers[4], "other");
        _router = new LeastOutstandingRouter(_pool, options, new Random(1234));
    }

    private RoutedWorker[] Stories => _pool.Workers.Take(4).ToArray();

    public void Dispose()
    {
        ReleaseAll();
    }

    [Fact]
    public void Workers_keep_the_order_they_joined_in_and_join_once()
    {
        Assert.Same(_pool.Workers[2], _pool.Add(new RoutedWorker(_pool.Workers[2].Key, grain: null!)));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"S127.0.0.1:{11101 + i}:1"), _pool.Workers.Select(w => w.Key));
    }

    [Fact]
    public void A_worker_that_left_is_no_longer_a_candidate()
    {
        var gone = Stories[0];
        Assert.Equal([gone], _pool.RemoveWhere(w => w == gone));
        for (var i = 0; i < 50; i++)
        {
            Assert.NotEqual(gone, Pick("stories"));
        }
    }

    [Fact]
    public void A_request_goes_only_to_workers_serving_its_model()
    {
        for (var i = 0; i < 50; i++)
        {
            Assert.True(Pick("stories")!.Serves("stories"));
            Assert.Equal(_pool.Workers[4], Pick("other"));
        }

        Assert.Null(Pick("missing"));
    }

    [Fact]
    public void Load_over_1000_picks_is_within_10_percent_across_equal_workers()
    {
        var counts = new Dictionary<RoutedWorker, int>();
        var inFlight = new Queue<RoutedWorker.Lease>();
        for (var i = 0; i < 1000; i++)
        {
            var lease = _router.Acquire(new RouteRequest("stories", "", 0), [])!.Value;
            counts[lease.Worker] = counts.GetValueOrDefault(lease.Worker) + 1;
            inFlight.Enqueue(lease);
            if (inFlight.Count > 6)
            {
                inFlight.Dequeue().Dispose(); // requests finish in order, six stay outstanding
            }
        }

        while (inFlight.Count > 0)
        {
            inFlight.Dequeue().Dispose();
        }

        Assert.Equal(4, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 225, 275));
    }

    [Fact]
    public void A_lease_counts_its_request_until_disposed()
    {
        var lease = _router.Acquire(new RouteRequest("stories", "", 0), [])!.Value;

        Assert.Equal(1, lease.Worker.Outstanding);
        lease.Dispose();
        Assert.Equal(0, lease.Worker.Outstanding);
    }

    [Fact]
    public void Eight_requests_arriving_together_at_two_idle_workers_split_four_and_four()
    {
        Stories[2].IsHealthy = false;
        Stories[3].IsHealthy = false;
        for (var round = 0; round < 200; round++)
        {
            using var start = new Barrier(8);
            var leases = new RoutedWorker.Lease[8];
            var threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
            {
                start.SignalAndWait();
                leases[i] = _router.Acquire(new RouteRequest("stories", "", 0), [])!.Value;
            })).ToArray();
            foreach (var thread in threads)
            {
                thread.Start();
            }

            foreach (var thread in threads)
            {
                thread.Join();
            }

            var split = leases.GroupBy(l => l.Worker).Select(g => g.Count()).Order().ToArray();
            Assert.True(split is [4, 4], $"round {round}: split {string.Join("/", split)}");
            foreach (var lease in leases)
            {
                lease.Dispose();
            }
        }
    }

    [Fact]
    public void The_less_busy_of_the_two_choices_wins()
    {
        // Three busy workers and one idle: the idle one is picked whenever it is among the two drawn.
        foreach (var worker in Stories.Take(3))
        {
            Hold(worker, 5);
        }

        var idle = Stories[3];
        var picks = Enumerable.Range(0, 400).Select(_ => Pick("stories")).ToArray();

        // With 4 candidates the idle one is one of the two choices half the time.
        Assert.InRange(picks.Count(w => w == idle), 160, 240);
    }

    [Fact]
    public void A_session_returns_to_the_worker_that_served_it()
    {
        var first = Pick("stories", session: "conversation-1")!;

        for (var i = 0; i < 20; i++)
        {
            Hold(first, 1); // even while busier than the rest, within the allowed imbalance
            Assert.Equal(first, Pick("stories", session: "conversation-1"));
            ReleaseAll();
        }
    }

    [Fact]
    public void Session_affinity_breaks_when_its_worker_is_overloaded_and_moves_with_the_session()
    {
        var first = Pick("stories", session: "conversation-1")!;
        Hold(first, 3); // more than AffinityMaxImbalance above the idle workers

        var second = Pick("stories", session: "conversation-1");

        Assert.NotEqual(first, second);
        ReleaseAll();
        Assert.Equal(second, Pick("stories", session: "conversation-1"));
    }

    [Fact]
    public void Session_affinity_breaks_when_its_worker_is_unhealthy()
    {
        var first = Pick("stories", session: "conversation-1")!;
        first.IsHealthy = false;

        var second = Pick("stories", session: "conversation-1");

        Assert.NotNull(second);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Requests_sharing_a_prompt_opening_meet_on_one_worker()
    {
        var systemPrompt = new string('s', 300);
        var workers = Enumerable.Range(0, 20)
            .Select(i => Pick(Chat(systemPrompt, $"question {i}"))!)
            .Distinct()
            .ToArray();

        Assert.Single(workers);
    }

    [Fact]
    public void Different_prompt_openings_spread_over_the_workers()
    {
        var workers = Enumerable.Range(0, 40)
            .Select(i => Pick(Chat($"{i} " + new string('x', 100), "hello"))!)
            .Distinct()
            .Count();

        Assert.True(workers >= 3, $"only {workers} workers used");
    }

    [Fact]
    public void A_retry_never_returns_a_worker_already_tried()
    {
        var tried = new List<RoutedWorker>();
        for (var i = 0; i < 4; i++)
        {
            var worker = Pick(new RouteRequest("stories", "s", 0), tried);
            Assert.NotNull(worker);
            Assert.DoesNotContain(worker, tried);
            tried.Add(worker);
        }

        Assert.Null(Pick(new RouteRequest("stories", "s", 0), tried));
    }

    [Fact]
    public void An_ejected_worker_gets_nothing_and_is_picked_again_once_it_is_back()
    {
        var ejected = Stories[0];
        ejected.IsHealthy = false;
        Assert.DoesNotContain(ejected, Enumerable.Range(0, 100).Select(_ => Pick("stories")));

        ejected.IsHealthy = true;
        Assert.Contains(ejected, Enumerable.Range(0, 100).Select(_ => Pick("stories")));
    }

    [Fact]
    public void Models_are_listed_once_with_their_replica_count()
    {
        Assert.Equal([("other", 1), ("stories", 4)], _pool.Models().Select(m => (m.Model.Id, m.Replicas)));
    }

    [Fact]
    public void The_affinity_table_stays_bounded()
    {
        var table = new AffinityTable<int>(100);
        for (var i = 0; i < 1000; i++)
        {
            table.Set(i, Stories[0]);
        }

        Assert.InRange(table.Count, 50, 101);
        Assert.Equal(Stories[0], table.Get(999));
    }

    /// <summary>The worker a request would get, its lease returned at once (the request ended).</summary>
    private RoutedWorker? Pick(in RouteRequest request, IReadOnlyCollection<RoutedWorker> exclude)
    {
        if (_router.Acquire(request, exclude) is not { } lease)
        {
            return null;
        }

        lease.Dispose();
        return lease.Worker;
    }

    private RoutedWorker? Pick(string model, string session = "") => Pick(new RouteRequest(model, session, 0), []);

    private RoutedWorker? Pick(GenerateRequest request) => Pick(RouteRequest.For(GrpcRequestMapper.ToServingRequest(request), 256), []);

    private static GenerateRequest Chat(string system, string question)
    {
        var request = new GenerateRequest { Model = "stories" };
        request.Messages.Add(new ChatMessage { Role = "system", Content = system });
        request.Messages.Add(new ChatMessage { Role = "user", Content = question });
        return request;
    }

    private void Hold(RoutedWorker worker, int count)
    {
        for (var i = 0; i < count; i++)
        {
            _leases.Add(worker.Begin());
        }
    }

    private void ReleaseAll()
    {
        _leases.ForEach(l => l.Dispose());
        _leases.Clear();
    }

    private static void Serve(RoutedWorker worker, string model)
    {
        worker.Models = [new ModelInfo { Id = model }];
        worker.IsHealthy = true;
    }
}
