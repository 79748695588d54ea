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
        var redis = await _app.GetConnectionStringAsync(ClusterSettings.RedisName) ?? throw new InvalidOperationException("The AppHost has no cache connection string.");
        await using var worker = ServiceProcess.StartWorker("worker-by-hand", redis, TestPaths.Model("stories260K.gguf"), "--Worker:Slots=2");
        // Joined: from the moment its /health says ready to the moment the gateway routes to it.
        await worker.WaitHealthyAsync(TimeSpan.FromSeconds(90));
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
        worker.Terminate();

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
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await DashboardStats.WaitAsync(_httpPort, s => s.Workers.All(w => w.Id != "worker-by-hand"), TimeSpan.FromSeconds(10));
    }
}
