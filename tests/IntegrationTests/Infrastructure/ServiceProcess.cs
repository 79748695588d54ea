using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using SlmCluster.Testing;
using HealthClient = Grpc.Health.V1.Health.HealthClient;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// A real worker or gateway process: an Orleans silo of the cluster whose membership is in <see cref="LocalRedisServer"/>,
/// on free loopback ports, stopped (and killed if need be) on dispose. A worker serves only through the gateway; its
/// own HTTP port has /health, /alive and /metrics.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly IReadOnlyDictionary<string, string> NoEnvironment = new Dictionary<string, string>();
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Uri? _grpcAddress;
    private readonly GrpcChannel? _channel;

    private ServiceProcess(string name, Process process, int httpPort, int? grpcPort)
    {
        Name = name;
        _process = process;
        HttpAddress = new Uri($"http://127.0.0.1:{httpPort}/");
        if (grpcPort is { } port)
        {
            _grpcAddress = new Uri($"http://127.0.0.1:{port}");
            _channel = GrpcChannel.ForAddress(_grpcAddress);
        }
    }

    /// <summary>
    /// A gateway setting: its response cache has no Redis (membership still has one), so every answer is generated
    /// and none replayed; single-flight sharing of identical requests in flight stays on. For tests of what a worker
    /// answers, which a cache hit would stand in for.
    /// </summary>
    public const string WithoutResponseCache = "--Redis:ConnectionString=";

    public string Name { get; }

    /// <summary>The gateway's gRPC endpoint (h2c).</summary>
    /// <exception cref="InvalidOperationException">This is a worker: it has no gRPC port of its own.</exception>
    public Uri GrpcAddress => _grpcAddress ?? throw NoGrpc();

    /// <inheritdoc cref="GrpcAddress"/>
    public GrpcChannel Channel => _channel ?? throw NoGrpc();

    /// <summary>The HTTP listener: health and /metrics, and the gateway's OpenAI API and dashboard.</summary>
    public Uri HttpAddress { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => string.Join('\n', _output);

    /// <summary>A one-thread worker silo serving <paramref name="modelPath"/>; <paramref name="extra"/> settings win.</summary>
    public static ServiceProcess StartWorker(string name, LocalRedisServer redis, string modelPath, params string[] extra) =>
        StartWorker(name, redis.ConnectionString, modelPath, NoEnvironment, extra);

    /// <summary>A one-thread worker silo joining the cluster whose Redis is <paramref name="redisConnection"/> (one it did not start).</summary>
    public static ServiceProcess StartWorker(string name, string redisConnection, string modelPath, params string[] extra) =>
        StartWorker(name, redisConnection, modelPath, NoEnvironment, extra);

    /// <summary>A one-thread worker silo with extra environment variables.</summary>
    public static ServiceProcess StartWorker(string name, LocalRedisServer redis, string modelPath, IReadOnlyDictionary<string, string> environment,
        params string[] extra) =>
        StartWorker(name, redis.ConnectionString, modelPath, environment, extra);

    private static ServiceProcess StartWorker(string name, string redisConnection, string modelPath, IReadOnlyDictionary<string, string> environment,
        string[] extra)
    {
        var httpPort = FreePort();
        return Start(name, TestPaths.WorkerAssembly, httpPort, grpcPort: null, redisConnection, [
            $"--Worker:Id={name}", $"--Worker:ModelPath={modelPath}", "--Worker:Threads=1", $"--Worker:HttpPort={httpPort}", .. extra], environment);
    }

    public static ServiceProcess StartGateway(LocalRedisServer redis, params string[] extra) => StartGateway(redis, NoEnvironment, extra);

    /// <summary>A gateway silo that finds the workers of <paramref name="redis"/>'s cluster through Orleans membership.</summary>
    public static ServiceProcess StartGateway(LocalRedisServer redis, IReadOnlyDictionary<string, string> environment, params string[] extra)
    {
        var grpcPort = FreePort();
        var httpPort = FreePort();
        return Start("gateway", TestPaths.GatewayAssembly, httpPort, grpcPort, redis.ConnectionString,
            [$"--Gateway:GrpcPort={grpcPort}", $"--Gateway:HttpPort={httpPort}", .. extra], environment);
    }

    private static ServiceProcess Start(string name, string assembly, int httpPort, int? grpcPort, string redisConnection, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(assembly);
        // A silo of the test's own cluster: membership in its Redis, reachable on loopback. Later arguments win.
        foreach (var argument in new[]
                 {
                     $"--ConnectionStrings:{ClusterSettings.RedisName}={redisConnection}", $"--Orleans:Endpoints:SiloPort={FreePort()}",
                     "--Orleans:Endpoints:AdvertisedIPAddress=127.0.0.1",
                 }.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        // The service exits by itself if the test run dies without disposing it.
        info.Environment[ClusterSettings.Keys.ParentProcessId] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var service = new ServiceProcess(name, process, httpPort, grpcPort);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { service._output.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { service._output.Enqueue(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>
    /// Waits until the service is ready: a gateway answers grpc.health.v1 with SERVING (a worker can serve behind it),
    /// a worker answers /health with 200 (its model is loaded and its silo has joined the cluster).
    /// </summary>
    public async Task WaitHealthyAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!await IsHealthyAsync())
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}:\n{Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} did not become healthy:\n{Output}");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>One readiness probe, as <see cref="WaitHealthyAsync"/> makes it.</summary>
    private async Task<bool> IsHealthyAsync()
    {
        if (_channel is null)
        {
            try
            {
                using var response = await Probe.GetAsync(new Uri(HttpAddress, "health"));
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }

        try
        {
            var response = await new HealthClient(_channel).CheckAsync(new HealthCheckRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(2)));
            return response.Status == HealthCheckResponse.Types.ServingStatus.Serving;
        }
        catch (RpcException)
        {
            return false;
        }
    }

    /// <summary>
    /// The sum of the samples of <paramref name="metric"/> in the service's /metrics (over all its label sets, or those
    /// containing <paramref name="labels"/>); 0 when there are none.
    /// </summary>
    public async Task<double> MetricAsync(string metric, string? labels = null)
    {
        var text = await Probe.GetStringAsync(new Uri(HttpAddress, "metrics"));
        return text.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) || l.StartsWith(metric + " ", StringComparison.Ordinal))
            .Where(l => labels is null || l.Contains(labels, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process vanishes without a word to the cluster, as when a machine dies.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, as Kubernetes stops a pod.</summary>
    public void Terminate() => Signals.Send(_process.Id, Signals.SigTerm);

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    /// <summary>
    /// A loopback port nothing listens on, never one this test process handed out before: the port is free again once
    /// the probe closes, and the kernel gave one process's HTTP and silo ports the same number (CI: "address already in use").
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (IssuedPorts)
            {
                if (IssuedPorts.Add(port))
                {
                    return port;
                }
            }
        }
    }

    private static readonly HashSet<int> IssuedPorts = [];

    private InvalidOperationException NoGrpc() =>
        new($"{Name} is a worker: it has no gRPC port; it serves through the gateway.");
}
