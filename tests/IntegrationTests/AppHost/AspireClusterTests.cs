using System.Diagnostics;
using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Grpc.Core;
using Grpc.Net.Client;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.AppHost;

/// <summary>
/// The real AppHost under Aspire.Hosting.Testing: Redis, the model, two workers and the gateway come up under Aspire's
/// orchestrator, and the gateway serves gRPC (our client and grpc-js) and the OpenAI API; a worker that dies leaves
/// the cluster serving.
/// </summary>
public sealed class AspireClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private DistributedApplication _app = null!;
    private int _grpcPort;
    private int _httpPort;

    public async Task InitializeAsync()
    {
        (_app, _grpcPort, _httpPort) = await StartAsync("--workers", "2", "--threads", "1", "--slots", "2");
        using var cancel = new CancellationTokenSource(StartTimeout);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync("gateway", cancel.Token);
        await GatewayReadiness.WaitServingAsync(_httpPort, cancel.Token);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task The_gateway_serves_gRPC_grpc_js_and_the_OpenAI_API()
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_grpcPort}");
        var answer = await new InferenceClient(channel).GenerateAsync(
            new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 8, Cache = new CachePolicy { Bypass = true } },
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal(8, answer.Usage.CompletionTokens);

        var peer = await InteropTests.RunPeerAsync($"127.0.0.1:{_grpcPort}", "generate", "Once upon a time", "8");
        Assert.Equal(answer.Text, peer.GetProperty("response").GetProperty("text").GetString());

        using var openAi = new OpenAiHttpClient(new Uri($"http://127.0.0.1:{_httpPort}/"));
        var chat = await openAi.PostAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":4}""");
        Assert.Equal(HttpStatusCode.OK, chat.Status);
    }

    [Fact]
    public async Task Killing_a_worker_leaves_the_other_serving_and_the_dashboard_shows_which_died()
    {
        var workers = await WorkerPidsAsync(replicas: 2);
        Assert.Equal(2, workers.Count);
        var (victimName, victimPid) = workers.First();
        // The orchestrator starts each project with `dotnet run`; the worker is that process's child.
        var worker = ProcessTable.ChildrenOf(victimPid).Single();
        Process.GetProcessById(worker).Kill();

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

        // Every request after the kill is answered: the gateway takes the dead worker out and retries elsewhere.
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_grpcPort}");
        var client = new InferenceClient(channel);
        for (var i = 0; i < 6; i++)
        {
            var answer = await client.GenerateAsync(
                new GenerateRequest { Prompt = $"Once upon a time {i}", MaxTokens = 4, Cache = new CachePolicy { Bypass = true } },
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
            Assert.Equal(4, answer.Usage.CompletionTokens);
        }

        var survivor = workers.Last();
        Assert.True(ProcessTable.ChildrenOf(survivor.Pid).Any(ProcessTable.IsRunning), "the other worker died too");
    }

    /// <summary>Starts the AppHost in this process with free gateway ports, after the arguments given.</summary>
    internal static async Task<(DistributedApplication App, int GrpcPort, int HttpPort)> StartAsync(params string[] args)
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
    private async Task<List<(string Name, int Pid)>> WorkerPidsAsync(int replicas)
    {
        var found = new Dictionary<string, int>();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in _app.ResourceNotifications.WatchAsync(cancel.Token))
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
