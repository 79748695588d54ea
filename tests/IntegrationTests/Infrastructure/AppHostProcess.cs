using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>
/// The built AppHost started as <c>dotnet run --project AppHost</c> starts it (its http launch profile's settings, free
/// ports), with its console captured and the cluster's processes found by the AppHost pid they watch.
/// </summary>
internal sealed partial class AppHostProcess : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _output = new();

    private AppHostProcess(Process process, AppHostPorts ports)
    {
        Process = process;
        Ports = ports;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    /// <summary>The gateway's, the dashboard's and Aspire's ports this AppHost was given.</summary>
    public AppHostPorts Ports { get; }

    public int GrpcPort => Ports.Grpc;

    public int HttpPort => Ports.Http;

    public string Output => string.Join('\n', _output);

    /// <summary>The dashboard's login link the AppHost prints, once it has printed it.</summary>
    public Uri? DashboardLogin => LoginLine().Match(Output) is { Success: true } m ? new Uri(m.Groups[1].Value) : null;

    public static AppHostProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    public static AppHostProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Start(AppHostPorts.Free(), environment, args);

    /// <summary>Starts the AppHost on <paramref name="ports"/>: those of an AppHost started before it, to start it again.</summary>
    public static AppHostProcess Start(AppHostPorts ports, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        // Through env(1) with SIGINT and SIGQUIT at their defaults: a test run started in the background by a
        // non-interactive shell inherits them ignored, .NET keeps an inherited ignore, and the Ctrl-C test would then
        // measure the launcher instead of the AppHost.
        var info = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.ArgumentList.Add("--default-signal=INT,QUIT");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(TestPaths.AppHostAssembly);
        // One model unless the test names its own: a local run's default is two models and a cascade.
        foreach (var arg in AppHost.AspireClusterTests.SingleModelUnlessNamed(args).Concat(args).Concat(["--grpc-port", $"{ports.Grpc}", "--http-port", $"{ports.Http}"]))
        {
            info.ArgumentList.Add(arg);
        }

        // What the http launch profile sets, on ports of this test's own.
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{ports.Dashboard}";
        info.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{ports.Otlp}";
        info.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{ports.ResourceService}";
        info.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        info.Environment["SLM_MODELS_DIR"] = TestPaths.ModelsDirectory;
        info.Environment.Remove("SLM_MODEL_BASE_URL");
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        return new AppHostProcess(Process.Start(info)!, ports);
    }

    /// <summary>Waits until the gateway answers a completion through the AppHost's cluster.</summary>
    public async Task WaitServingAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await GatewayReadiness.WaitServingAsync(HttpPort, cancel.Token,
                () => Assert.False(Process.HasExited, $"the AppHost exited with {(Process.HasExited ? Process.ExitCode : 0)}:\n{Output}"));
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the cluster did not serve within {timeout.TotalSeconds:F0} s:\n{Output}");
        }
    }

    /// <summary>The cluster's processes: those that watch this AppHost's pid (Redis, the workers, the gateway).</summary>
    public int[] ChildPids()
    {
        var marker = $"{ClusterSettings.Keys.ParentProcessId}={Process.Id}";
        var pids = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || !ProcessTable.IsRunning(pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains(marker))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone, or not ours to read.
            }
        }

        return [.. pids];
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await Process.WaitForExitAsync(cancel.Token);
        return Process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        var children = Process.HasExited ? [] : ChildPids();
        if (!Process.HasExited)
        {
            Signals.Send(Process.Id, Signals.SigTerm);
            try
            {
                await WaitForExitAsync(TimeSpan.FromSeconds(30));
            }
            catch (OperationCanceledException)
            {
                Process.Kill(entireProcessTree: true);
            }
        }

        foreach (var pid in children.Where(ProcessTable.IsRunning))
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

    [GeneratedRegex(@"Login to the dashboard at (\S+)")]
    private static partial Regex LoginLine();
}
