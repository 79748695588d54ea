using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Grpc.Net.Client;
using SlmCluster.IntegrationTests.Infrastructure;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.AppHost;

/// <summary>
/// Scale-out and drain on the real AppHost: a worker silo started by hand against the cluster's Redis takes traffic
/// within 3 s of being ready, and on SIGTERM it finishes its running stream, takes nothing new, and leaves.
/// </summary>
[Collection(AppHostClusterCollection.Name)]
public sealed class WorkerLifecycleTests : IAsyncLifetime
{
    private DistributedApplication _app = null!;
    private int _grpcPort;
    private int _httpPort;

    public async Task InitializeAsync()
    {
        (_app, _grpcPort, _httpPort) = await AspireClusterTests.StartAsync("--workers", "1", "--threads", "1", "--slots", "2");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await _app.ResourceNotifications.WaitForResourceHealthyAsync("gateway", cancel.Token);
        await GatewayReadiness.WaitServingAsync(_httpPort, cancel.Token);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_worker_started_later_gets_traffic_within_3_s_and_drains_on_SIGTERM()
    {
        var redis = await _app.GetConnectionStringAsync("cache") ?? throw new InvalidOperationException("The AppHost has no cache connection string.");
        var httpPort = ServiceProcess.FreePort();
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var worker = StartWorker("worker-by-hand", redis, httpPort, output);
        try
        {
            // Joined: from the moment its /health says ready to the moment the gateway routes to it.
            await WaitReadyAsync(worker, httpPort, output);
            var joined = await DashboardStats.WaitAsync(_httpPort,
                s => s.Workers.Any(w => w.Id == "worker-by-hand" && w.State == "serving"), TimeSpan.FromSeconds(10));
            Assert.True(joined <= TimeSpan.FromSeconds(3), $"the new worker took {joined.TotalMilliseconds:F0} ms to get traffic");

            // Both workers serve: a request pinned to a session lands somewhere, and several land on the new one.
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_grpcPort}");
            var client = new InferenceClient(channel);
            var spread = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => AspireClusterTests.StreamAsync(client, $"Spread {i}", 64, null)));
            Assert.Contains(spread, o => o.WorkerId == "worker-by-hand");

            // Two long streams, one on each worker; then SIGTERM the new worker while its stream runs.
            var started = new[] { new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
            var running = Enumerable.Range(0, 2).Select(i => AspireClusterTests.StreamAsync(client, $"Drain {i}", 1500, started[i])).ToArray();
            await Task.WhenAll(started.Select(s => s.Task)).WaitAsync(TimeSpan.FromSeconds(60));
            Signals.Send(worker.Id, Signals.SigTerm);

            // Once it drains (the gateway sees it from the worker's status), new requests go to the other worker and
            // succeed. A request that reached it before the signal was handled would rightly still be served there.
            await DashboardStats.WaitAsync(_httpPort, s => s.Workers.Any(w => w.Id == "worker-by-hand" && w.State == "draining"), TimeSpan.FromSeconds(10));
            var during = await AspireClusterTests.StreamAsync(client, "During the drain", 8, null);
            Assert.Null(during.Error);
            Assert.NotEqual("worker-by-hand", during.WorkerId);

            // The running streams both end whole, the drained one included.
            var outcomes = await Task.WhenAll(running);
            Assert.All(outcomes, o => Assert.Null(o.Error));
            Assert.All(outcomes, o => Assert.Equal(1500, o.CompletionTokens));
            Assert.Contains(outcomes, o => o.WorkerId == "worker-by-hand");

            // Then it leaves: the process exits cleanly and the gateway no longer lists it.
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await worker.WaitForExitAsync(exit.Token);
            Assert.Equal(0, worker.ExitCode);
            await DashboardStats.WaitAsync(_httpPort, s => s.Workers.All(w => w.Id != "worker-by-hand"), TimeSpan.FromSeconds(10));
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>A worker silo as someone would start one by hand beside a running cluster: its Redis, a free silo port.</summary>
    private static Process StartWorker(string id, string redis, int httpPort, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            TestPaths.WorkerAssembly, $"--Worker:Id={id}", $"--Worker:ModelPath={TestPaths.Model("stories260K.gguf")}", "--Worker:Threads=1",
            "--Worker:Slots=2", $"--Worker:HttpPort={httpPort}", $"--ConnectionStrings:cache={redis}",
            $"--Orleans:Endpoints:SiloPort={ServiceProcess.FreePort()}", "--Orleans:Endpoints:AdvertisedIPAddress=127.0.0.1",
        })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["SLM_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitReadyAsync(Process worker, int httpPort, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            Assert.False(worker.HasExited, $"the worker exited with code {(worker.HasExited ? worker.ExitCode : 0)}:\n{string.Join('\n', output)}");
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{httpPort}/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, $"the worker did not become ready:\n{string.Join('\n', output)}");
            await Task.Delay(50);
        }
    }
}
