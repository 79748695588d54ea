using System.Diagnostics;
using System.Text.RegularExpressions;
using SlmCluster.Grpc;
using SlmCluster.IntegrationTests.Infrastructure;
using SlmCluster.Protocol.V1;

namespace SlmCluster.IntegrationTests;

/// <summary><c>dotnet run --project AppHost</c> as a user runs it: real child processes, real signals.</summary>
public sealed partial class AppHostTests
{
    [Fact]
    public async Task Ctrl_C_stops_every_child_and_leaves_no_process_behind()
    {
        await using var host = await StartAppHostAsync();
        var client = new InferenceClient(GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{host.GrpcPort}")));
        var answer = await client.GenerateAsync(new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 8 },
            new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(20)));
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
        return new RunningAppHost(process, grpcPort, pids);
    }

    private static async Task<(int ExitCode, string Output)> RunAppHostToEndAsync(params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.ArgumentList.Add(TestPaths.AppHostAssembly);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["SLM_MODELS_DIR"] = TestPaths.ModelsDirectory;
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

    private sealed record RunningAppHost(Process Process, int GrpcPort, int[] ChildPids) : IAsyncDisposable
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
