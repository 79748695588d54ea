using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using SlmCluster.Testing;

namespace SlmCluster.Bench.Cluster;

/// <summary>
/// The processes a scenario measures, started straight from the build output: Redis (the cluster's membership and
/// the worker grain directory), the worker silos (each pinned to its own core when asked, so a measurement is not one
/// of co-location), then the gateway silo on the cores no worker computes on. Ready when every worker answers
/// <c>/health</c> and the gateway serves with every worker routable. The AppHost runs the same services under
/// Aspire; the bench starts them itself because it needs their process ids and core placement.
/// </summary>
internal sealed class BenchCluster(BenchClusterOptions options) : IAsyncDisposable
{
    /// <summary>The core of the model's thread under <see cref="CorePlacement.ModelThreadApart"/>.</summary>
    public const int ModelCore = 0;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private readonly List<BenchWorker> _workers = [];
    private ChildProcess? _gateway;
    private LocalRedisServer? _redis;

    public IReadOnlyList<BenchWorker> Workers => _workers;

    /// <summary>The front door: the gateway's gRPC endpoint.</summary>
    public Uri GatewayGrpc { get; } = new($"http://127.0.0.1:{FreePort()}");

    public Uri GatewayHttp { get; } = new($"http://127.0.0.1:{FreePort()}");

    /// <summary>The gateway silo's process id, once started.</summary>
    public int GatewayProcessId => _gateway?.Id ?? throw new InvalidOperationException("The gateway has not been started");

    /// <summary>The cluster's Redis' process id, once started.</summary>
    public int RedisProcessId => _redis?.ProcessId ?? throw new InvalidOperationException("Redis has not been started");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!LocalRedisServer.IsInstalled)
        {
            throw new InvalidOperationException("redis-server is not on PATH: the cluster keeps its membership in Redis (apt-get install redis-server).");
        }

        var apart = options.Placement == CorePlacement.ModelThreadApart ? CoreList(CoreAffinity.AllBut(ModelCore)) : null;
        _redis = await LocalRedisServer.StartAsync(new LocalRedisOptions
        {
            Launcher = apart is null ? [] : ["taskset", "-c", apart],
            Output = ChildProcess.Echo("redis"),
        }, cancellationToken);
        var redis = _redis.ConnectionString;
        var shared = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            // The services log membership changes at Information; here they would only crowd out the bench's lines.
            ["Logging__LogLevel__Orleans.Runtime.MembershipService"] = "Warning",
            [ClusterSettings.Keys.ConnectionString(ClusterSettings.RedisName)] = redis,
            // Every silo of this cluster on loopback, each on its own port: clusters of different scenarios (and
            // other runs on the machine) never meet, as each has its own Redis.
            [ClusterSettings.Keys.Orleans.AdvertisedIPAddress] = "127.0.0.1",
        };

        var models = Enumerable.Repeat(options.ModelPath, options.Workers).Concat(options.MoreModels ?? []).ToArray();
        for (var i = 0; i < models.Length; i++)
        {
            var name = $"worker-{i}";
            var endpoint = new Uri($"http://127.0.0.1:{FreePort()}");
            var environment = new Dictionary<string, string>(shared)
            {
                [ClusterSettings.Keys.Orleans.SiloPort] = Invariant(FreePort()),
                [ClusterSettings.Keys.Worker.Id] = name,
                [ClusterSettings.Keys.Worker.HttpPort] = Invariant(endpoint.Port),
                [ClusterSettings.Keys.Worker.ModelPath] = models[i],
                [ClusterSettings.Keys.Worker.Threads] = Invariant(options.Threads),
                [ClusterSettings.Keys.Worker.Slots] = Invariant(options.Slots),
                [ClusterSettings.Keys.Worker.ContextSize] = Invariant(options.ContextSize),
            };
            foreach (var (key, value) in options.WorkerEnvironment ?? new Dictionary<string, string>())
            {
                environment[key] = value;
            }
            // taskset pins the whole process, threads it starts later included: to one core per worker, or away from the
            // model's core until the model's thread is moved onto it.
            string[] launcher = options.Placement switch
            {
                CorePlacement.CorePerWorker => ["taskset", "-c", Invariant(i % Environment.ProcessorCount), "dotnet"],
                CorePlacement.ModelThreadApart => ["taskset", "-c", apart!, "dotnet"],
                _ => ["dotnet"],
            };
            _workers.Add(new BenchWorker(ChildProcess.Start(name, launcher[0], [.. launcher[1..], BuildOutput.Assembly("WorkerAssembly")], environment), endpoint));
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Task.WhenAll(_workers.Select(w => WaitUntilAsync(w.Process, () => WorkerReadyAsync(http, w.Http, cancellationToken), "answered /health", cancellationToken)));
        if (options.Placement == CorePlacement.ModelThreadApart)
        {
            // Ready means the model is loaded and its engine thread runs.
            foreach (var worker in _workers)
            {
                await CoreAffinity.SeparateEngineThreadAsync(worker.Process.Id, ModelCore, CoreAffinity.AllBut(ModelCore), cancellationToken);
            }
        }

        var gatewayEnvironment = new Dictionary<string, string>(shared)
        {
            [ClusterSettings.Keys.Orleans.SiloPort] = Invariant(FreePort()),
            [ClusterSettings.Keys.Gateway.GrpcPort] = Invariant(GatewayGrpc.Port),
            [ClusterSettings.Keys.Gateway.HttpPort] = Invariant(GatewayHttp.Port),
        };
        foreach (var (key, value) in options.GatewayEnvironment ?? new Dictionary<string, string>())
        {
            gatewayEnvironment[key] = value;
        }

        if (options.ExternalSelfPath is { } self)
        {
            // An external tier that is this gateway's own OpenAI API.
            gatewayEnvironment[self] = new Uri(GatewayHttp, "/v1").ToString();
        }

        // The gateway keeps to the cores no worker computes on: woken on a worker's core, it would preempt the model's
        // thread for every chunk it relays.
        string[] gatewayLauncher = options.Placement switch
        {
            CorePlacement.CorePerWorker when SpareCores(options.Workers, Environment.ProcessorCount) is { } spare => ["taskset", "-c", spare, "dotnet"],
            CorePlacement.ModelThreadApart => ["taskset", "-c", apart!, "dotnet"],
            _ => ["dotnet"],
        };
        _gateway = ChildProcess.Start("gateway", gatewayLauncher[0], [.. gatewayLauncher[1..], BuildOutput.Assembly("GatewayAssembly")], gatewayEnvironment);
        using var channel = GrpcChannel.ForAddress(GatewayGrpc);
        var health = new Health.HealthClient(channel);
        await WaitUntilAsync(_gateway, async () => await ServingAsync(health, cancellationToken)
            && await RoutableWorkersAsync(http, GatewayHttp, cancellationToken) >= models.Length,
            $"served gRPC with all {models.Length} worker(s) routable", cancellationToken);
    }

    /// <summary>Stops the gateway first, so no new work reaches the workers, then the workers (they drain and leave the cluster), then Redis.</summary>
    public async ValueTask DisposeAsync()
    {
        var grace = TimeSpan.FromSeconds(10);
        if (_gateway is not null)
        {
            await _gateway.StopAsync(grace);
            await _gateway.DisposeAsync();
        }

        await Task.WhenAll(_workers.Select(w => w.Process.StopAsync(TimeSpan.FromSeconds(45))));
        foreach (var worker in _workers)
        {
            await worker.Process.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.StopAsync(grace);
            await _redis.DisposeAsync();
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// The cores left over once worker <c>i</c> has core <c>i</c>, as a taskset list (<c>1</c>, <c>2-3</c>); null when the
    /// workers take every core.
    /// </summary>
    internal static string? SpareCores(int workers, int cores) =>
        workers >= cores ? null : workers == cores - 1 ? Invariant(workers) : $"{Invariant(workers)}-{Invariant(cores - 1)}";

    private static async Task<bool> WorkerReadyAsync(HttpClient http, Uri worker, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(worker, "/health"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false; // not listening yet
        }
    }

    internal static async Task<bool> ServingAsync(Health.HealthClient health, CancellationToken cancellationToken)
    {
        try
        {
            var response = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
            return response.Status == HealthCheckResponse.Types.ServingStatus.Serving;
        }
        catch (RpcException)
        {
            return false; // not listening yet
        }
    }

    /// <summary>
    /// The p50 of the gateway's recent status calls to the cluster's one worker grain (ms), and how many there were, from
    /// <c>/api/stats</c>: one Orleans request and answer between the gateway silo and the worker silo.
    /// </summary>
    public async Task<(double P50, int Count)> StatusRoundTripAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        using var stats = await StatsAsync(http, GatewayHttp, cancellationToken);
        var worker = stats.RootElement.GetProperty("workers").EnumerateArray().Single();
        if (!worker.TryGetProperty("status_round_trip_ms", out var roundTrip) || roundTrip.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOperationException("The gateway reports no status round trip for its worker");
        }

        return (roundTrip.GetProperty("p50").GetDouble(), roundTrip.GetProperty("count").GetInt32());
    }

    /// <summary>Workers the gateway routes to, from its dashboard's <c>/api/stats</c>.</summary>
    internal static async Task<int> RoutableWorkersAsync(HttpClient http, Uri gateway, CancellationToken cancellationToken)
    {
        try
        {
            using var stats = await StatsAsync(http, gateway, cancellationToken);
            return stats.RootElement.GetProperty("workers").EnumerateArray()
                .Count(w => w.TryGetProperty("state", out var state) && state.GetString() == "serving");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException && !cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
    }

    private static async Task<JsonDocument> StatsAsync(HttpClient http, Uri gateway, CancellationToken cancellationToken)
    {
        await using var body = await http.GetStreamAsync(new Uri(gateway, "/api/stats"), cancellationToken);
        return await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
    }

    /// <summary>Polls <paramref name="ready"/> until it holds; fails with the child's last lines if it exits or takes too long.</summary>
    internal static async Task WaitUntilAsync(ChildProcess process, Func<Task<bool>> ready, string what, CancellationToken cancellationToken,
        TimeSpan? timeout = null)
    {
        var limit = timeout ?? StartTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (!await ready())
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited with code {process.ExitCode} before it {what}; its last lines:\n  " +
                    string.Join("\n  ", process.RecentLines.TakeLast(15)));
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{process.Name} had not {what} within {limit.TotalSeconds:F0} s; its last lines:\n  " +
                    string.Join("\n  ", process.RecentLines.TakeLast(15)));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    internal static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string CoreList(IEnumerable<int> cores) => string.Join(',', cores.Select(Invariant));
}

/// <summary>A worker silo the bench started, and its HTTP endpoint (<c>/health</c>, <c>/metrics</c>).</summary>
internal sealed record BenchWorker(ChildProcess Process, Uri Http);

/// <summary>What a scenario asks of its cluster; <paramref name="ContextSize"/> 0 lets the worker size its KV cache from the slots.</summary>
/// <param name="MoreModels">Further models, one worker each (after the <paramref name="Workers"/> of <paramref name="ModelPath"/>).</param>
/// <param name="GatewayEnvironment">Further gateway settings (a cascade route).</param>
/// <param name="ExternalSelfPath">A gateway setting that gets the gateway's own OpenAI API base URL (an external tier served by itself).</param>
/// <param name="WorkerEnvironment">Further worker settings (what it serves).</param>
internal sealed record BenchClusterOptions(string ModelPath, int Workers, int Threads, int Slots, CorePlacement Placement, int ContextSize = 0,
    IReadOnlyList<string>? MoreModels = null, IReadOnlyDictionary<string, string>? GatewayEnvironment = null, string? ExternalSelfPath = null,
    IReadOnlyDictionary<string, string>? WorkerEnvironment = null);

/// <summary>Where the cluster's processes run.</summary>
internal enum CorePlacement
{
    /// <summary>Wherever the OS puts them.</summary>
    Unpinned,

    /// <summary>Worker <c>i</c> (the whole process) on core <c>i</c>, the gateway on the cores no worker has.</summary>
    CorePerWorker,

    /// <summary>
    /// Each worker's model thread (one compute thread) alone on <see cref="BenchCluster.ModelCore"/>, every other thread
    /// of the cluster (the workers' serving threads, the gateway, Redis) on the other cores: the serving path never
    /// waits for the model's core.
    /// </summary>
    ModelThreadApart,
}
