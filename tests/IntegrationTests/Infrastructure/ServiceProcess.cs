using Grpc.Core;
using Grpc.Net.Client;
using HealthClient = Grpc.Health.V1.Health.HealthClient;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Health.V1;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>A real worker or gateway process on free loopback ports, stopped (and killed if need be) on dispose.</summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServiceProcess(string name, Process process, int grpcPort, int? httpPort = null)
    {
        HttpAddress = httpPort is { } p ? new Uri($"http://127.0.0.1:{p}/") : null;
        Name = name;
        _process = process;
        GrpcAddress = new Uri($"http://127.0.0.1:{grpcPort}");
        Channel = GrpcChannel.ForAddress(GrpcAddress);
    }

    public string Name { get; }

    public Uri GrpcAddress { get; }

    public GrpcChannel Channel { get; }

    /// <summary>The HTTP listener (health, /metrics, and the gateway's OpenAI API and dashboard); null when there is none.</summary>
    public Uri? HttpAddress { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => string.Join('\n', _output);

    private static readonly IReadOnlyDictionary<string, string> NoEnvironment = new Dictionary<string, string>();

    public static ServiceProcess StartWorker(string name, string modelPath, int threads = 1, params string[] extra) =>
        StartWorkerOnPort(name, modelPath, FreePort(), threads, extra);

    /// <summary>A worker on the given gRPC port, with an HTTP listener on a free port for its /metrics.</summary>
    public static ServiceProcess StartWorkerOnPort(string name, string modelPath, int port, int threads = 1, params string[] extra) =>
        StartWorker(name, modelPath, port, threads, NoEnvironment, extra);

    /// <summary>A one-thread worker with extra environment variables.</summary>
    public static ServiceProcess StartWorkerWithHttp(string name, string modelPath, IReadOnlyDictionary<string, string> environment, params string[] extra) =>
        StartWorker(name, modelPath, FreePort(), 1, environment, extra);

    public static ServiceProcess StartGateway(IEnumerable<Uri> workers, params string[] extra) =>
        StartGateway(workers, NoEnvironment, extra);

    /// <summary>A gateway handed <paramref name="workers"/> the Aspire way, probing them every 200 ms.</summary>
    public static ServiceProcess StartGateway(IEnumerable<Uri> workers, IReadOnlyDictionary<string, string> environment, params string[] extra)
    {
        var port = FreePort();
        var httpPort = FreePort();
        var args = new List<string> { $"--Gateway:GrpcPort={port}", $"--Gateway:HttpPort={httpPort}", "--Gateway:HealthCheckInterval=00:00:00.200" };
        args.AddRange(workers.Select((worker, i) => $"--services:worker:grpc:{i}={worker.ToString().TrimEnd('/')}"));
        args.AddRange(extra);
        return Start("gateway", TestPaths.GatewayAssembly, port, args, environment, httpPort);
    }

    private static ServiceProcess StartWorker(string name, string modelPath, int port, int threads, IReadOnlyDictionary<string, string> environment, string[] extra)
    {
        var httpPort = FreePort();
        return Start(name, TestPaths.WorkerAssembly, port, [
            $"--Worker:Id={name}", $"--Worker:ModelPath={modelPath}", $"--Worker:Threads={threads}", $"--Worker:GrpcPort={port}",
            $"--Worker:HttpPort={httpPort}", .. extra], environment, httpPort);
    }

    private static ServiceProcess Start(string name, string assembly, int grpcPort, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment, int? httpPort)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // The service exits by itself if the test run dies without disposing it.
        info.Environment["SLM_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var service = new ServiceProcess(name, process, grpcPort, httpPort);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) service._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) service._output.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>Waits until the service answers grpc.health.v1 with SERVING.</summary>
    public async Task WaitHealthyAsync(TimeSpan? timeout = null)
    {
        var health = new HealthClient(Channel);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}:\n{Output}");
            }

            try
            {
                var response = await health.CheckAsync(new HealthCheckRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(2)));
                if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (RpcException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{Name} did not become healthy:\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, as Kubernetes stops a pod.</summary>
    public void Terminate() => Signals.Send(_process.Id, Signals.SigTerm);

    /// <summary>Waits until the process listens on its gRPC port and answers health checks, serving or not.</summary>
    public async Task WaitListeningAsync()
    {
        var health = new HealthClient(Channel);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await health.CheckAsync(new HealthCheckRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(2)));
                return;
            }
            catch (RpcException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
