using Grpc.Health.V1;
using Grpc.Net.Client;
using SlmCluster.Bench.Load;

namespace SlmCluster.Bench.Cluster;

/// <summary>
/// The cluster as <c>dotnet run --project AppHost</c> starts it: the checkout's built AppHost (the bench's configuration,
/// Release under build.sh) run as a process with its <c>http</c> launch profile's environment (<see cref="LaunchProfile"/>),
/// so that Aspire's orchestrator runs the services (each under <c>dotnet run --no-build</c>), the dashboard, OTLP and
/// the default telemetry settings, untouched. Only what a user would pass is passed: the model, one worker, the threads
/// and slots, and the gateway's two ports (free ones, so that the bench knows where to call and never meets another
/// AppHost on the machine). Ready when the gateway serves gRPC with its worker routable; its processes are then found
/// below the orchestrator that watches this AppHost. Stopped with SIGTERM, the AppHost's ordered stop (silos first,
/// then Redis and the dashboard).
/// </summary>
internal sealed class BenchAppHost(string modelPath, int threads, int slots) : IAsyncDisposable
{
    /// <summary>The AppHost's ordered stop waits for the silos to leave the cluster; far less than this.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(60);

    /// <summary>Longer than the stripped cluster's: the orchestrator, the dashboard and a dotnet run host per service start first.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(300);

    private static readonly string[] RoleOrder = ["worker", "gateway", "dashboard", "apphost", "dcp", "dotnet run", "redis", "other"];

    private ChildProcess? _appHost;

    public Uri GatewayGrpc { get; } = new($"http://127.0.0.1:{BenchCluster.FreePort()}");

    public Uri GatewayHttp { get; } = new($"http://127.0.0.1:{BenchCluster.FreePort()}");

    /// <summary>The AppHost's processes by role, once started: worker, gateway, dashboard, apphost, dcp, dotnet run, redis.</summary>
    public ProcessRoles Processes { get; private set; } = new([]);

    public int WorkerProcessId => Processes.Processes.Single(p => p.Role == "worker").Pid;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var assembly = BuildOutput.Assembly("AppHostAssembly");
        if (!File.Exists(assembly))
        {
            throw new InvalidOperationException($"The AppHost is not built ({assembly}): ./build.sh bench builds the whole solution, " +
                "or dotnet build AppHost -c Release");
        }

        var environment = LaunchProfile.Environment(Path.Combine(BuildOutput.RepoRoot, "AppHost", "Properties", "launchSettings.json"));
        string[] arguments =
        [
            assembly,
            "--model", modelPath,
            "--workers", "1",
            "--threads", BenchCluster.Invariant(threads),
            "--slots", BenchCluster.Invariant(slots),
            "--grpc-port", BenchCluster.Invariant(GatewayGrpc.Port),
            "--http-port", BenchCluster.Invariant(GatewayHttp.Port),
        ];
        _appHost = ChildProcess.Start("apphost", "dotnet", arguments, environment);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        using var channel = GrpcChannel.ForAddress(GatewayGrpc);
        var health = new Health.HealthClient(channel);
        await BenchCluster.WaitUntilAsync(_appHost, async () => await BenchCluster.ServingAsync(health, cancellationToken)
            && await BenchCluster.RoutableWorkersAsync(http, GatewayHttp, cancellationToken) >= 1,
            "served gRPC with its worker routable", cancellationToken, StartTimeout);
        Processes = Find(_appHost.Id);
    }

    public async ValueTask DisposeAsync()
    {
        if (_appHost is not null)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await _appHost.StopAsync(StopGrace);
            Console.WriteLine($"  apphost: stopped on SIGTERM in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s, exit code {_appHost.ExitCode}");
            await _appHost.DisposeAsync();
        }
    }

    /// <summary>
    /// The AppHost and everything below the orchestrator (DCP) that watches it: DCP runs detached, so its processes are
    /// not the AppHost's children. The services run as the children of their <c>dotnet run</c> hosts.
    /// </summary>
    private static ProcessRoles Find(int appHost)
    {
        var table = ProcessTable.Snapshot();
        var monitor = BenchCluster.Invariant(appHost);
        var orchestrators = table.Where(e => e.CommandLine.Count > 0 && Path.GetFileName(e.CommandLine[0]) == "dcp"
            && e.CommandLine.Contains("start-apiserver") && e.CommandLine.SkipWhile(a => a != "--monitor").Skip(1).FirstOrDefault() == monitor)
            .Select(e => e.Pid).ToArray();
        if (orchestrators.Length == 0)
        {
            throw new InvalidOperationException($"No Aspire orchestrator (dcp start-apiserver --monitor {monitor}) runs for the AppHost");
        }

        var found = ProcessTable.Descendants(table, [appHost, .. orchestrators])
            .Select(e => (Role: e.Pid == appHost ? "apphost" : RoleOf(e.CommandLine), e.Pid))
            .OrderBy(p => Array.IndexOf(RoleOrder, p.Role))
            .ToArray();
        foreach (var role in new[] { "worker", "gateway", "dashboard" })
        {
            if (found.Count(p => p.Role == role) != 1)
            {
                throw new InvalidOperationException($"Expected one {role} process under the AppHost, found {found.Count(p => p.Role == role)}");
            }
        }

        return new ProcessRoles(found);
    }

    private static string RoleOf(IReadOnlyList<string> commandLine)
    {
        // Redis rewrites its command line into one word with its address ("redis-server 127.0.0.1:port").
        var program = commandLine.Count > 0 ? Path.GetFileName(commandLine[0].Split(' ')[0]) : "";
        return program switch
        {
            "dotnet" when commandLine.Count > 1 && commandLine[1] == "run" => "dotnet run",
            "SlmCluster.Worker" => "worker",
            "SlmCluster.Gateway" => "gateway",
            "Aspire.Dashboard" => "dashboard",
            "redis-server" => "redis",
            "dcp" => "dcp",
            "dotnet" when commandLine.Any(a => a.EndsWith("SlmCluster.Worker.dll", StringComparison.Ordinal)) => "worker",
            "dotnet" when commandLine.Any(a => a.EndsWith("SlmCluster.Gateway.dll", StringComparison.Ordinal)) => "gateway",
            _ => "other",
        };
    }
}
