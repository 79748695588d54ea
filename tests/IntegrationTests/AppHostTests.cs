using Grpc.Core;
using Grpc.Net.Client;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;
using System.Diagnostics;
using System.Text.RegularExpressions;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

/// <summary><c>dotnet run --project AppHost</c> as a user runs it: real child processes, real signals.</summary>
public sealed partial class AppHostTests
{
    [Theory]
    [InlineData(1, 2, "1")]
    [InlineData(1, 4, "1-3")]
    [InlineData(3, 4, "3")]
    [InlineData(2, 2, null)]
    [InlineData(4, 2, null)]
    public void Pinned_workers_leave_the_gateway_the_cores_they_do_not_use(int workers, int cores, string? spare) =>
        Assert.Equal(spare, SlmCluster.AppHost.Orchestration.LocalCluster.SpareCores(workers, cores));

    [Fact]
    public async Task SIGTERM_stops_the_gateway_first_then_the_workers_then_Redis()
    {
        await using var host = await StartAppHostAsync();

        Signals.Send(host.Process.Id, Signals.SigTerm); // as an orchestrator stops it
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.Process.WaitForExitAsync(timeout.Token);

        Assert.Equal(0, host.Process.ExitCode);
        var stopped = host.Output.Where(l => l.StartsWith("[apphost] ", StringComparison.Ordinal) && l.EndsWith(" stopped", StringComparison.Ordinal))
            .Select(l => l["[apphost] ".Length..^" stopped".Length]).ToList();
        var gateway = stopped.IndexOf("gateway");
        var workers = new[] { stopped.IndexOf("worker-0"), stopped.IndexOf("worker-1") };
        Assert.True(gateway >= 0 && workers.All(w => w > gateway), "the gateway did not stop before the workers: " + string.Join(", ", stopped));
        if (host.WithRedis)
        {
            Assert.True(stopped.IndexOf("cache") > workers.Max(), "Redis did not stop after the workers: " + string.Join(", ", stopped));
        }
    }

    [Fact]
    public async Task Ctrl_C_stops_every_child_and_leaves_no_process_behind()
    {
        await using var host = await StartAppHostAsync();
        var client = new InferenceClient(GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{host.GrpcPort}")));
        var answer = await client.GenerateAsync(new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 8 },
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(20)));
        Assert.False(string.IsNullOrWhiteSpace(answer.Text));

        Signals.Send(host.Process.Id, Signals.SigInt); // as Ctrl-C sends it
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.Process.WaitForExitAsync(timeout.Token);

        Assert.Equal(0, host.Process.ExitCode);
        Assert.All(host.ChildPids, pid => Assert.False(IsRunning(pid), $"child {pid} is still running"));
    }

    [Fact]
    public async Task Children_exit_by_themselves_when_the_AppHost_is_killed()
    {
        await using var host = await StartAppHostAsync();

        host.Process.Kill(); // SIGKILL: the AppHost gets no chance to stop its children
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (host.ChildPids.Any(IsRunning) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.All(host.ChildPids, pid => Assert.False(IsRunning(pid), $"child {pid} outlived the AppHost"));
    }

    [Fact]
    public async Task A_missing_model_is_refused_with_where_it_looked_and_how_to_get_one()
    {
        var (exitCode, output) = await RunAppHostToEndAsync("--model", "no-such-model.gguf");

        Assert.Equal(1, exitCode);
        Assert.Contains("no-such-model.gguf", output);
        Assert.Contains("Looked in", output);
        Assert.Contains("SLM_MODELS_DIR", output);
    }

    [Fact]
    public async Task Cuda_workers_on_a_machine_without_a_GPU_fail_at_start_with_a_clear_message()
    {
        if (Directory.Exists("/proc/driver/nvidia/gpus"))
        {
            return; // this machine has the GPUs the behaviour is about the absence of
        }

        var (exitCode, output) = await RunAppHostToEndAsync("--device", "cuda", "--workers", "1");

        Assert.Equal(1, exitCode);
        Assert.Contains("--device cuda needs an NVIDIA GPU", output);
        Assert.Contains("--device cpu", output);
        Assert.DoesNotContain("Press Ctrl-C to stop", output);
    }

    [Fact]
    public async Task A_downloaded_model_whose_checksum_differs_is_refused_and_nothing_starts()
    {
        var models = Directory.CreateTempSubdirectory("slm-models-");
        try
        {
            await using var server = await ModelFileServer.StartAsync(TestPaths.Model("stories260K.gguf"), "owner/repo/resolve/main/tiny-stories.gguf");
            var wrong = new string('a', 64);

            var (exitCode, output) = await RunAppHostToEndAsync(
                new Dictionary<string, string> { ["SLM_MODELS_DIR"] = models.FullName, ["SLM_MODEL_BASE_URL"] = server.BaseUrl.ToString() },
                "--model", "hf://owner/repo/tiny-stories.gguf", "--model-sha256", wrong);

            Assert.Equal(1, exitCode);
            Assert.Contains("Refusing", output);
            Assert.Contains(wrong, output);
            Assert.Contains("270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d", output);
            Assert.Empty(models.GetFiles());
            Assert.DoesNotContain("Press Ctrl-C to stop", output);
        }
        finally
        {
            models.Delete(recursive: true);
        }
    }

    private static async Task<RunningAppHost> StartAppHostAsync()
    {
        var grpcPort = ServiceProcess.FreePort();
        var process = Start("--workers", "2", "--threads", "1", "--grpc-port", $"{grpcPort}", "--http-port", $"{ServiceProcess.FreePort()}");
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (e.Data.Contains("Press Ctrl-C to stop"))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var finished = await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(90)));
        Assert.True(finished == ready.Task, "the AppHost did not become ready:\n" + string.Join('\n', output));
        var pids = output.Select(l => PidLine().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToArray();
        var withRedis = output.Any(l => l.TrimStart().StartsWith("redis ", StringComparison.Ordinal) && l.Contains("pid"));
        Assert.Equal(withRedis ? 4 : 3, pids.Length);
        return new RunningAppHost(process, grpcPort, pids, output, withRedis);
    }

    private static Task<(int ExitCode, string Output)> RunAppHostToEndAsync(params string[] args) =>
        RunAppHostToEndAsync(new Dictionary<string, string>(), args);

    private static async Task<(int ExitCode, string Output)> RunAppHostToEndAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = Start(environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static Process Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    private static Process Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.ArgumentList.Add(TestPaths.AppHostAssembly);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["SLM_MODELS_DIR"] = TestPaths.ModelsDirectory;
        info.Environment.Remove("SLM_MODEL_BASE_URL");
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        return Process.Start(info)!;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            // A zombie still has a /proc entry; it is gone for every purpose but reaping.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"pid +(\d+)\s*$")]
    private static partial Regex PidLine();

    private sealed record RunningAppHost(Process Process, int GrpcPort, int[] ChildPids,
        System.Collections.Concurrent.ConcurrentQueue<string> Output, bool WithRedis) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }

            foreach (var pid in ChildPids.Where(IsRunning))
            {
                try
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill();
                }
                catch (ArgumentException)
                {
                }
            }

            Process.Dispose();
        }
    }
}
