using System.Diagnostics;
using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.AppHost;

/// <summary>
/// The real AppHost under Aspire.Hosting.Testing: Redis, the model, two worker silos and the gateway silo come up under
/// Aspire's orchestrator; a worker silo that is killed under load loses only the streams it had started, and the
/// cluster keeps serving.
/// </summary>
[Collection(AppHostClusterCollection.Name)]
public sealed class AspireClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private DistributedApplication _app = null!;
    private int _grpcPort;
    private int _httpPort;

    public async Task InitializeAsync()
    {
        (_app, _grpcPort, _httpPort) = await StartAsync("--workers", "2", "--threads", "1", "--slots", "3");
        using var cancel = new CancellationTokenSource(StartTimeout);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync("gateway", cancel.Token);
        await GatewayReadiness.WaitServingAsync(_httpPort, cancel.Token);
        // The gateway starts beside the workers and serves once one is there; these tests need both.
        await DashboardStats.WaitAsync(_httpPort, s => s.Workers.Count(w => w.State == "serving") == 2, StartTimeout);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_worker_killed_under_six_streams_fails_only_the_streams_it_had_started()
    {
        var workers = await WorkerPidsAsync(_app, replicas: 2);
        Assert.Equal(2, workers.Count);
        var (victimName, victimPid) = workers.First();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_grpcPort}");
        var client = new InferenceClient(channel);

        // Six long streams, three on each worker (least outstanding spreads them evenly); each reports its first chunk.
        var started = Enumerable.Range(0, 6).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var streams = Enumerable.Range(0, 6).Select(i => StreamAsync(client, $"Once upon a time {i}", LongStreamTokens, started[i])).ToArray();
        await Task.WhenAll(started.Select(s => s.Task)).WaitAsync(TimeSpan.FromSeconds(60));

        // The orchestrator starts each project with `dotnet run`; the worker is that process's child.
        Process.GetProcessById(ProcessTable.ChildrenOf(victimPid).Single()).Kill();
        var killed = Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(streams);

        // Streams on the survivor finish whole; streams that had started on the victim end UNAVAILABLE, saying why.
        var failed = outcomes.Where(o => o.Error is not null).ToArray();
        var finished = outcomes.Where(o => o.Error is null).ToArray();
        Assert.NotEmpty(failed);
        Assert.NotEmpty(finished);
        Assert.All(failed, o =>
        {
            Assert.Equal(StatusCode.Unavailable, o.Error!.StatusCode);
            Assert.Contains("answer is incomplete", o.Error.Status.Detail, StringComparison.Ordinal);
            Assert.True(o.Chunks > 0);
        });
        Assert.All(finished, o => Assert.Equal(LongStreamTokens, o.CompletionTokens));
        Assert.Single(finished.Select(o => o.WorkerId).Distinct());

        // Nothing started 3 s or more after the kill fails: the dead silo is out of routing by then.
        var wait = TimeSpan.FromSeconds(3) - killed.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var later = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => StreamAsync(client, $"Later {i}", 16, null)));
        Assert.All(later, o => Assert.Null(o.Error));
        Assert.All(later, o => Assert.Equal(finished[0].WorkerId, o.WorkerId));

        // The orchestrator reports the replica as exited (what the dashboard shows), with the worker's exit code.
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var e in _app.ResourceNotifications.WatchAsync(cancel.Token))
        {
            if (e.ResourceId == victimName && e.Snapshot.State?.Text is "Exited" or "Finished")
            {
                Assert.NotEqual(0, e.Snapshot.ExitCode);
                break;
            }
        }

        // The surviving worker's grain was never made again: its silo activated it once, when it started.
        var stats = await DashboardStats.ReadAsync(_httpPort);
        var survivor = Assert.Single(stats.Workers);
        Assert.Equal(finished[0].WorkerId, survivor.Id);
        Assert.Equal(1, survivor.Activations);
    }

    private const int LongStreamTokens = 1500;

    /// <summary>One stream to its end: the chunks it got, its usage and worker, or the status it failed with.</summary>
    internal static async Task<StreamOutcome> StreamAsync(InferenceClient client, string prompt, int maxTokens, TaskCompletionSource? started)
    {
        var chunks = 0;
        try
        {
            using var call = client.GenerateStream(
                new GenerateRequest { Prompt = prompt, MaxTokens = maxTokens, IgnoreEos = true, Cache = new CachePolicy { Bypass = true } },
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(120)));
            await foreach (var chunk in call.ResponseStream.ReadAllAsync())
            {
                chunks++;
                started?.TrySetResult();
                if (chunk.Served is { } served)
                {
                    return new StreamOutcome(chunks, chunk.Usage.CompletionTokens, served.WorkerId, null);
                }
            }

            return new StreamOutcome(chunks, 0, null, null);
        }
        catch (RpcException e)
        {
            started?.TrySetResult();
            return new StreamOutcome(chunks, 0, null, e);
        }
    }

    internal sealed record StreamOutcome(int Chunks, int CompletionTokens, string? WorkerId, RpcException? Error);

    /// <summary>
    /// Starts the AppHost in this process with free gateway ports, after the arguments given, serving the one model
    /// stories260K unless they name models (a local run's default is two models and a cascade).
    /// </summary>
    internal static Task<(DistributedApplication App, int GrpcPort, int HttpPort)> StartAsync(params string[] args) =>
        StartWithDefaultsAsync([.. SingleModelUnlessNamed(args), .. args]);

    /// <summary>The model argument that keeps a test on one model unless it names its own.</summary>
    internal static string[] SingleModelUnlessNamed(string[] args) =>
        args.Any(a => a == "--model" || a.StartsWith("--model=", StringComparison.Ordinal)) ? [] : ["--model", "stories260K.gguf"];

    /// <summary>Starts the AppHost in this process with free gateway ports and the AppHost's own defaults for what the arguments leave out.</summary>
    internal static async Task<(DistributedApplication App, int GrpcPort, int HttpPort)> StartWithDefaultsAsync(params string[] args)
    {
        var grpcPort = ServiceProcess.FreePort();
        var httpPort = ServiceProcess.FreePort();
        var models = args.Contains("--models-dir") ? [] : new[] { "--models-dir", TestPaths.ModelsDirectory };
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            // The gateway's ports are the ones given here, as a user gives them (no randomized ports in the test).
            [.. args, .. models, "--grpc-port", $"{grpcPort}", "--http-port", $"{httpPort}", "--DcpPublisher:RandomizePorts=false"]);
        var app = await builder.BuildAsync();
        await app.StartAsync();
        return (app, grpcPort, httpPort);
    }

    /// <summary>Each worker replica's resource id and process id, as the orchestrator reports them.</summary>
    internal static async Task<List<(string Name, int Pid)>> WorkerPidsAsync(DistributedApplication app, int replicas)
    {
        var found = new Dictionary<string, int>();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in app.ResourceNotifications.WatchAsync(cancel.Token))
        {
            if (e.Resource.Name == "worker" && e.Snapshot.State?.Text == KnownResourceStates.Running
                && e.Snapshot.Properties.FirstOrDefault(p => p.Name.EndsWith(".pid", StringComparison.Ordinal))?.Value is { } pid)
            {
                found[e.ResourceId] = Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture);
                if (found.Count == replicas)
                {
                    break;
                }
            }
        }

        return [.. found.Select(f => (f.Key, f.Value))];
    }
}
