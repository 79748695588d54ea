using System.Net;
using System.Net.Sockets;
using System.Reflection;
using SlmCluster.Grpc;
using SlmCluster.Protocol.Health.V1;

namespace SlmCluster.AppHost.Orchestration;

/// <summary>Runs the cluster on this machine: the workers, then the gateway that is handed their endpoints.</summary>
internal sealed class LocalCluster(AppHostOptions options, string modelPath) : IAsyncDisposable
{
    private readonly List<ChildProcess> _workers = [];
    private ChildProcess? _gateway;
    private ChildProcess? _redis;

    public static string RepoRoot => Metadata("RepoRoot");

    public IReadOnlyList<(ChildProcess Process, Uri Grpc)> WorkerEndpoints { get; private set; } = [];

    /// <summary>The Redis connection string handed to the services, or null when running without Redis.</summary>
    public string? RedisConnectionString { get; private set; }

    public int? RedisProcessId => _redis?.Id;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var shared = new Dictionary<string, string>();
        if (options.Redis ?? LocalRedis.IsInstalled)
        {
            (_redis, var connectionString) = await LocalRedis.StartAsync(FreePort(), cancellationToken);
            RedisConnectionString = connectionString;
            shared["ConnectionStrings__cache"] = connectionString;
        }

        var threads = options.Threads > 0 ? options.Threads : Math.Max(1, Environment.ProcessorCount / options.Workers);
        var endpoints = new List<(ChildProcess, Uri)>();
        for (var i = 0; i < options.Workers; i++)
        {
            var name = $"worker-{i}";
            var port = FreePort();
            // taskset pins the whole process, threads it starts later included, to one core per worker.
            string[] launcher = options.PinWorkers ? ["taskset", "-c", $"{i % Environment.ProcessorCount}", "dotnet"] : ["dotnet"];
            var worker = ChildProcess.Start(name, launcher[0], [
                .. launcher[1..],
                Metadata("WorkerAssembly"),
                $"--Worker:Id={name}",
                $"--Worker:ModelPath={modelPath}",
                $"--Worker:Threads={threads}",
                $"--Worker:Slots={options.Slots}",
                $"--Worker:GrpcPort={port}",
                $"--Worker:HttpPort={FreePort()}", // /metrics for Prometheus
                .. LogArguments,
            ], shared);
            _workers.Add(worker);
            endpoints.Add((worker, new Uri($"http://127.0.0.1:{port}")));
        }

        WorkerEndpoints = endpoints;
        await Task.WhenAll(endpoints.Select(e => WaitHealthyAsync(e.Item1, e.Item2, cancellationToken)));

        var environment = new Dictionary<string, string>(shared);
        for (var i = 0; i < endpoints.Count; i++)
        {
            // The same shape Aspire uses to hand a service its references' endpoints.
            environment[$"services__worker__grpc__{i}"] = endpoints[i].Item2.ToString().TrimEnd('/');
        }

        _gateway = ChildProcess.Start("gateway", "dotnet", [
            Metadata("GatewayAssembly"),
            $"--Gateway:GrpcPort={options.GrpcPort}",
            $"--Gateway:HttpPort={options.HttpPort}",
            .. LogArguments,
        ], environment);
        await WaitHealthyAsync(_gateway, GatewayGrpc, cancellationToken);
    }

    private string[] LogArguments => options.Quiet ? ["--Logging:LogLevel:Default=Warning"] : [];

    public Uri GatewayGrpc => new($"http://127.0.0.1:{options.GrpcPort}");

    public Uri GatewayHttp => new($"http://127.0.0.1:{options.HttpPort}");

    public IEnumerable<ChildProcess> Processes => _gateway is null ? _workers : _workers.Append(_gateway);

    /// <summary>Completes when any child exits on its own.</summary>
    public Task<ChildProcess> AnyExitedAsync(CancellationToken cancellationToken) =>
        Task.WhenAny(Processes.Select(async p => { await p.WaitForExitAsync(cancellationToken); return p; })).Unwrap();

    /// <summary>Stops the gateway first so no new work reaches the workers, then the workers.</summary>
    public async ValueTask DisposeAsync()
    {
        var grace = TimeSpan.FromSeconds(10);
        if (_gateway is not null)
        {
            await _gateway.StopAsync(grace);
        }

        await Task.WhenAll(_workers.Select(w => w.StopAsync(grace)));
        if (_redis is not null)
        {
            await _redis.StopAsync(grace);
        }

        foreach (var child in Processes.Concat(_redis is null ? [] : [_redis]))
        {
            await child.DisposeAsync();
        }
    }

    private async Task WaitHealthyAsync(ChildProcess process, Uri grpc, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(grpc);
        var health = new HealthClient(channel);
        var deadline = DateTime.UtcNow + options.StartTimeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited with code {process.ExitCode} before it became healthy; see its log lines above.");
            }

            try
            {
                var response = await health.CheckAsync(new HealthCheckRequest(),
                    new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(2), CancellationToken: cancellationToken));
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
                throw new TimeoutException($"{process.Name} did not become healthy within {options.StartTimeout.TotalSeconds:F0} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Metadata(string key) =>
        typeof(LocalCluster).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} is missing.");
}
