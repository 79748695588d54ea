using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace SlmCluster.Bench.Cluster;

/// <summary>
/// The processes a scenario measures, started straight from the build output: Redis when asked, the workers
/// (each pinned to its own core when asked, so a measurement is not one of co-location), then the gateway on the
/// cores no worker computes on. The AppHost runs the same services under Aspire; the bench starts them itself
/// because it needs their process ids and core placement.
/// </summary>
internal sealed class BenchCluster(BenchClusterOptions options) : IAsyncDisposable
{
    private readonly List<(ChildProcess Process, Uri Grpc)> _workers = [];
    private ChildProcess? _gateway;
    private ChildProcess? _redis;

    public IReadOnlyList<(ChildProcess Process, Uri Grpc)> WorkerEndpoints => _workers;

    public Uri GatewayGrpc { get; } = new($"http://127.0.0.1:{FreePort()}");

    public Uri GatewayHttp { get; } = new($"http://127.0.0.1:{FreePort()}");

    /// <summary>The Redis connection string handed to the services, or null when running without Redis.</summary>
    public string? RedisConnectionString { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var shared = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" };
        if (options.Redis)
        {
            (_redis, var connectionString) = await LocalRedis.StartAsync(FreePort(), cancellationToken);
            RedisConnectionString = connectionString;
            shared["ConnectionStrings__cache"] = connectionString;
        }

        for (var i = 0; i < options.Workers; i++)
        {
            var name = $"worker-{i}";
            var grpc = new Uri($"http://127.0.0.1:{FreePort()}");
            var environment = new Dictionary<string, string>(shared)
            {
                ["Worker__Id"] = name,
                ["Worker__GrpcPort"] = Invariant(grpc.Port),
                ["Worker__HttpPort"] = Invariant(FreePort()),
                ["Worker__ModelPath"] = options.ModelPath,
                ["Worker__Threads"] = Invariant(options.Threads),
                ["Worker__Slots"] = Invariant(options.Slots),
            };
            // taskset pins the whole process, threads it starts later included, to one core per worker.
            string[] launcher = options.Pin ? ["taskset", "-c", Invariant(i % Environment.ProcessorCount), "dotnet"] : ["dotnet"];
            _workers.Add((ChildProcess.Start(name, launcher[0], [.. launcher[1..], BuildOutput.Assembly("WorkerAssembly")], environment), grpc));
        }

        await Task.WhenAll(_workers.Select(w => WaitHealthyAsync(w.Process, w.Grpc, cancellationToken)));

        var gatewayEnvironment = new Dictionary<string, string>(shared)
        {
            ["Gateway__GrpcPort"] = Invariant(GatewayGrpc.Port),
            ["Gateway__HttpPort"] = Invariant(GatewayHttp.Port),
        };
        for (var i = 0; i < _workers.Count; i++)
        {
            // The shape in which Aspire hands a service its references' endpoints.
            gatewayEnvironment[$"services__worker__grpc__{i}"] = _workers[i].Grpc.ToString().TrimEnd('/');
        }

        // The gateway keeps to the cores no worker computes on: woken on a worker's core, it would preempt the model's
        // thread for every chunk it relays.
        string[] gatewayLauncher = options.Pin && SpareCores(options.Workers, Environment.ProcessorCount) is { } spare
            ? ["taskset", "-c", spare, "dotnet"]
            : ["dotnet"];
        _gateway = ChildProcess.Start("gateway", gatewayLauncher[0], [.. gatewayLauncher[1..], BuildOutput.Assembly("GatewayAssembly")], gatewayEnvironment);
        await WaitHealthyAsync(_gateway, GatewayGrpc, cancellationToken);
    }

    /// <summary>Stops the gateway first, so no new work reaches the workers, then the workers, then Redis.</summary>
    public async ValueTask DisposeAsync()
    {
        var grace = TimeSpan.FromSeconds(10);
        if (_gateway is not null)
        {
            await _gateway.StopAsync(grace);
            await _gateway.DisposeAsync();
        }

        await Task.WhenAll(_workers.Select(w => w.Process.StopAsync(TimeSpan.FromSeconds(35))));
        foreach (var (process, _) in _workers)
        {
            await process.DisposeAsync();
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

    private static async Task WaitHealthyAsync(ChildProcess process, Uri grpc, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(grpc);
        var health = new Health.HealthClient(channel);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited with code {process.ExitCode} before it became healthy; its last lines:\n  " +
                    string.Join("\n  ", process.RecentLines.TakeLast(15)));
            }

            try
            {
                var response = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
                if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (RpcException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{process.Name} did not become healthy within 120 s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What a scenario asks of its cluster.</summary>
internal sealed record BenchClusterOptions(string ModelPath, int Workers, int Threads, int Slots, bool Redis, bool Pin);
