using System.Diagnostics;
using Grpc.Core;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;
using SlmCluster.Testing;
using Xunit.Abstractions;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests;

/// <summary>Workers dying or failing to start under a running cluster: what fails, and what must not.</summary>
public sealed class WorkerFailureTests(ITestOutputHelper output)
{
    private const int StreamTokens = 400;

    [Fact]
    public async Task Killing_a_worker_under_load_fails_only_the_streams_it_had_started_and_nothing_started_3_s_later()
    {
        await using var cluster = await DoomedWorkerCluster.StartAsync();
        var (doomed, client) = (cluster.Doomed, cluster.Client);

        // Six streams on two one-slot workers: one runs on each, the others wait in the workers' queues.
        var streams = Enumerable.Range(0, 6).Select(i => new ObservedStream(client, $"Once upon a time, story {i}")).ToArray();
        var running = streams.Select(s => s.RunAsync()).ToArray();
        // Two streams under way at once are one on each worker: the doomed one is generating.
        await Eventually.HoldsAsync(() => Task.FromResult(streams.Count(s => s.Chunks > 0 && !s.Ended) >= 2), pollMilliseconds: 5);

        doomed.Kill();
        var killed = Stopwatch.StartNew();
        // Requests keep coming after the kill; any that starts 3 s or more after it must be answered.
        var after = new List<(TimeSpan Started, RpcException? Error, string? WorkerId)>();
        while (after.Count(r => r.Started >= TimeSpan.FromSeconds(3)) < 2)
        {
            var started = killed.Elapsed;
            try
            {
                var response = await client.GenerateAsync(new GenerateRequest { Prompt = $"After the kill {after.Count}", MaxTokens = 2 },
                    new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60)));
                after.Add((started, null, response.Served.WorkerId));
            }
            catch (RpcException e)
            {
                after.Add((started, e, null));
            }
        }

        await Task.WhenAll(running);

        var failed = 0;
        for (var i = 0; i < streams.Length; i++)
        {
            var stream = streams[i];
            if (stream.Error is { } error)
            {
                failed++;
                Assert.True(stream.Chunks > 0, $"stream {i} failed before its first token: {error.StatusCode} {error.Status.Detail}");
                Assert.Equal(StatusCode.Unavailable, error.StatusCode);
                Assert.Contains("worker-doomed", error.Status.Detail);
                Assert.Contains("incomplete", error.Status.Detail);
            }
            else
            {
                Assert.Equal(StreamTokens, stream.CompletionTokens);
            }
        }

        // The stream the doomed worker was generating is lost (a stream is never moved mid-way); the others completed.
        Assert.Equal(1, failed);
        Assert.All(after.Where(r => r.Started >= TimeSpan.FromSeconds(3)), r =>
            Assert.True(r.Error is null, $"a request started {r.Started.TotalSeconds:F1} s after the kill failed: {r.Error?.Status}"));
        Assert.All(after.Where(r => r.Error is null), r => Assert.Equal("worker-survivor", r.WorkerId));
        // The survivor's grain lived through the other silo's death: its directory entry is in Redis, not on a silo.
        Assert.Equal(1, await cluster.Survivor.MetricAsync("slm_worker_grain_activations_total"));
        output.WriteLine($"{after.Count} requests after the kill, {after.Count(r => r.Error is not null)} failed: " +
                         string.Join(", ", after.Where(r => r.Error is not null).Select(r => $"at {r.Started.TotalMilliseconds:F0} ms {r.Error!.StatusCode}")));
    }

    [Fact]
    public async Task Worker_with_a_missing_model_file_exits_with_a_message_naming_the_path()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-model-{Guid.NewGuid():N}.gguf");
        await using var redis = await LocalRedisServer.StartAsync();
        await using var worker = ServiceProcess.StartWorker("worker-missing", redis, missing);

        var exitCode = await worker.WaitForExitAsync(TimeSpan.FromSeconds(30));

        // A message and exit code 1, not an unhandled exception's SIGABRT (134).
        Assert.Equal(1, exitCode);
        Assert.Contains($"error: worker stopped: Model file not found: {missing}", worker.Output);
    }

    private sealed class ObservedStream(InferenceClient client, string prompt)
    {
        private int _chunks;
        private volatile bool _ended;

        public int Chunks => Volatile.Read(ref _chunks);

        public bool Ended => _ended;

        public RpcException? Error { get; private set; }

        public int CompletionTokens { get; private set; }

        public async Task RunAsync()
        {
            try
            {
                var request = new GenerateRequest { Prompt = prompt, MaxTokens = StreamTokens, IgnoreEos = true };
                using var call = client.GenerateStream(request, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60)));
                await foreach (var chunk in call.ResponseStream.ReadAllAsync())
                {
                    Interlocked.Increment(ref _chunks);
                    if (chunk.Usage is { } usage)
                    {
                        CompletionTokens = usage.CompletionTokens;
                    }
                }
            }
            catch (RpcException e)
            {
                Error = e;
            }
            finally
            {
                _ended = true;
            }
        }
    }
}
