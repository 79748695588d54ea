using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SlmCluster.AppHost.Hosting;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace SlmCluster.AppHost.Orchestration;

/// <summary>
/// Runs the described cluster on this machine: Redis, then each project's replicas once what it references
/// is healthy, handed their references' connection strings and endpoints the way Aspire hands them over.
/// Stops in the reverse order: the front door first, so no new work reaches the workers, then Redis.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private readonly DistributedApplicationModel _model;
    private readonly AppHostOptions _options;
    private readonly string _modelPath;
    private readonly List<(ProjectResource Project, List<Replica> Replicas)> _started = [];
    private readonly List<ResourceStatus> _statuses = [];
    private ChildProcess? _redis;

    public LocalCluster(DistributedApplicationModel model, AppHostOptions options, string modelPath)
    {
        _model = model;
        _options = options;
        _modelPath = modelPath;
        if (model.Redis is { } redis)
        {
            _statuses.Add(new ResourceStatus(redis.Name, "redis"));
        }

        foreach (var project in model.Projects)
        {
            _statuses.AddRange(ReplicaNames(project).Select(name => new ResourceStatus(name, project.Model is null ? "project" : $"project ({project.Device})")));
        }
    }

    /// <summary>The AppHost's cluster with <paramref name="options"/> (the benchmarks start it this way).</summary>
    public LocalCluster(AppHostOptions options, string modelPath)
        : this(Describe(options), options, modelPath)
    {
    }

    public static string RepoRoot => BuildOutput.RepoRoot;

    /// <summary>Every resource and replica with its state, in start order.</summary>
    public IReadOnlyList<ResourceStatus> Statuses => _statuses;

    /// <summary>The model-serving replicas (the workers) and their gRPC endpoints.</summary>
    public IReadOnlyList<(ChildProcess Process, Uri Grpc)> WorkerEndpoints =>
        _started.Where(s => s.Project.Model is not null).SelectMany(s => s.Replicas).Select(r => (r.Process, r.Grpc)).ToArray();

    /// <summary>The Redis connection string handed to the services, or null when running without Redis.</summary>
    public string? RedisConnectionString { get; private set; }

    public int? RedisProcessId => _redis?.Id;

    /// <summary>Told of every state change while the cluster stops (the start-up view watches the start).</summary>
    public Action<ResourceStatus>? Stopping { get; set; }

    public Uri GatewayGrpc => new($"http://127.0.0.1:{_model.FrontDoor.GrpcPort ?? _options.GrpcPort}");

    public Uri GatewayHttp => new($"http://127.0.0.1:{_model.FrontDoor.HttpPort ?? _options.HttpPort}");

    /// <summary>The services' processes in start order (Redis not included).</summary>
    public IEnumerable<ChildProcess> Processes => _started.SelectMany(s => s.Replicas).Select(r => r.Process);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_model.Redis is { } redis)
        {
            var status = Status(redis.Name);
            if (_options.Redis ?? LocalRedis.IsInstalled)
            {
                status.State = ResourceState.Starting;
                (_redis, var connectionString) = await LocalRedis.StartAsync(FreePort(), cancellationToken);
                RedisConnectionString = connectionString;
                (status.State, status.Endpoint, status.Process) = (ResourceState.Running, connectionString.Split(',')[0], _redis);
            }
            else
            {
                (status.State, status.Detail) = (ResourceState.Skipped,
                    _options.Redis == false ? "--no-redis: no cache, no registry" : "redis-server is not installed: no cache, no registry");
            }
        }

        foreach (var project in _model.Projects)
        {
            var replicas = StartReplicas(project);
            _started.Add((project, replicas));
            await Task.WhenAll(replicas.Select(r => WaitHealthyAsync(r, cancellationToken)));
        }
    }

    /// <summary>
    /// Completes when a service exits on its own. Not Redis: a terminal's Ctrl-C reaches its watchdog shell too,
    /// which then stops it while the AppHost is about to stop everything in order anyway.
    /// </summary>
    public Task<ChildProcess> AnyExitedAsync(CancellationToken cancellationToken) =>
        Task.WhenAny(Processes.Select(async p => { await p.WaitForExitAsync(cancellationToken); return p; })).Unwrap();

    /// <summary>Stops the projects in reverse start order (gateway, then workers, which drain), then Redis.</summary>
    public async ValueTask DisposeAsync()
    {
        var grace = TimeSpan.FromSeconds(10);
        foreach (var (project, replicas) in Enumerable.Reverse(_started))
        {
            // A worker finishes its running requests first (Worker:DrainTimeout, 30 s by default).
            var projectGrace = project.Model is null ? grace : TimeSpan.FromSeconds(35);
            await Task.WhenAll(replicas.Select(async r =>
            {
                var status = Status(r.Process.Name);
                Report(status, ResourceState.Stopping);
                await r.Process.StopAsync(projectGrace);
                Report(status, ResourceState.Stopped);
            }));
        }

        if (_redis is not null)
        {
            var status = Status(_model.Redis!.Name);
            Report(status, ResourceState.Stopping);
            await _redis.StopAsync(grace);
            Report(status, ResourceState.Stopped);
        }

        foreach (var child in Processes.Concat(_redis is null ? [] : [_redis]))
        {
            await child.DisposeAsync();
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The same cluster as the AppHost's Program.cs describes, for callers that start one in-process.</summary>
    private static DistributedApplicationModel Describe(AppHostOptions options)
    {
        var builder = new DistributedApplicationBuilder(options);
        SlmClusterApp.Describe(builder);
        return builder.BuildModel();
    }

    private static IReadOnlyList<string> ReplicaNames(ProjectResource project) =>
        project.Replicas == 1 && project.Model is null
            ? [project.Name]
            : Enumerable.Range(0, project.Replicas).Select(i => $"{project.Name}-{i}").ToArray();

    private ResourceStatus Status(string name) => _statuses.First(s => s.Name == name);

    private void Report(ResourceStatus status, ResourceState state)
    {
        status.State = state;
        Stopping?.Invoke(status);
    }

    private List<Replica> StartReplicas(ProjectResource project)
    {
        var section = project.Project.ConfigSection;
        var shared = new Dictionary<string, string>();
        foreach (var reference in project.References)
        {
            switch (reference)
            {
                case RedisResource redis when RedisConnectionString is not null:
                    shared[$"ConnectionStrings__{redis.Name}"] = RedisConnectionString;
                    break;
                case ProjectResource referenced:
                    // The shape Aspire uses to hand a service its references' endpoints.
                    var endpoints = _started.First(s => s.Project == referenced).Replicas;
                    for (var i = 0; i < endpoints.Count; i++)
                    {
                        shared[$"services__{referenced.Name}__grpc__{i}"] = endpoints[i].Grpc.ToString().TrimEnd('/');
                    }

                    break;
            }
        }

        if (_options.Quiet)
        {
            shared["Logging__LogLevel__Default"] = "Warning";
        }

        var names = ReplicaNames(project);
        var replicas = new List<Replica>();
        for (var i = 0; i < names.Count; i++)
        {
            var grpcPort = project.GrpcPort ?? FreePort();
            var httpPort = project.HttpPort ?? FreePort();
            var environment = new Dictionary<string, string>(shared)
            {
                [$"{section}__GrpcPort"] = Invariant(grpcPort),
                [$"{section}__HttpPort"] = Invariant(httpPort),
            };
            string[] launcher = ["dotnet"];
            if (project.Model is not null)
            {
                environment[$"{section}__Id"] = names[i];
                environment[$"{section}__ModelPath"] = _modelPath;
                environment[$"{section}__Threads"] = Invariant(project.Threads > 0 ? project.Threads : Math.Max(1, Environment.ProcessorCount / project.Replicas));
                environment[$"{section}__Slots"] = Invariant(project.Slots);
                if (project.Device == "cuda")
                {
                    // One model instance per GPU: replica i sees only GPU i, and offloads every layer to it.
                    environment["CUDA_VISIBLE_DEVICES"] = Invariant(i);
                    environment[$"{section}__Device"] = $"cuda:{i}";
                    environment[$"{section}__GpuLayers"] = "-1";
                }

                if (_options.PinWorkers)
                {
                    // taskset pins the whole process, threads it starts later included, to one core per worker.
                    launcher = ["taskset", "-c", Invariant(i % Environment.ProcessorCount), "dotnet"];
                }
            }
            else if (_options.PinWorkers && SpareCores(WorkerReplicas, Environment.ProcessorCount) is { } spare)
            {
                // The gateway keeps to the cores no worker computes on: woken on a worker's core, it would preempt
                // the model's thread for every chunk it relays.
                launcher = ["taskset", "-c", spare, "dotnet"];
            }

            var status = Status(names[i]);
            var process = ChildProcess.Start(names[i], launcher[0], [.. launcher[1..], project.Project.AssemblyPath], environment);
            var grpc = new Uri($"http://127.0.0.1:{grpcPort}");
            (status.State, status.Endpoint, status.Process) = (ResourceState.Starting, grpc.ToString().TrimEnd('/'), process);
            if (project.Device == "cuda")
            {
                status.Detail = $"GPU {i}";
            }

            replicas.Add(new Replica(process, grpc, new Uri($"http://127.0.0.1:{httpPort}")));
        }

        return replicas;
    }

    private async Task WaitHealthyAsync(Replica replica, CancellationToken cancellationToken)
    {
        var process = replica.Process;
        var status = Status(process.Name);
        using var channel = GrpcChannel.ForAddress(replica.Grpc);
        var health = new Health.HealthClient(channel);
        var deadline = DateTime.UtcNow + _options.StartTimeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                (status.State, status.Detail) = (ResourceState.Failed, $"exited with code {process.ExitCode}");
                throw new InvalidOperationException($"{process.Name} exited with code {process.ExitCode} before it became healthy; its last lines:\n  " +
                    string.Join("\n  ", process.RecentLines.TakeLast(15)));
            }

            try
            {
                var response = await health.CheckAsync(new HealthCheckRequest(),
                    new CallOptions(deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken));
                if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    status.State = ResourceState.Running;
                    return;
                }
            }
            catch (RpcException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                (status.State, status.Detail) = (ResourceState.Failed, "not healthy in time");
                throw new TimeoutException($"{process.Name} did not become healthy within {_options.StartTimeout.TotalSeconds:F0} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>
    /// The cores left over once worker <c>i</c> has core <c>i</c>, as a taskset list (<c>1</c>, <c>2-3</c>), for the
    /// gateway; null when the workers take every core.
    /// </summary>
    internal static string? SpareCores(int workers, int cores) =>
        workers >= cores ? null : workers == cores - 1 ? Invariant(workers) : $"{Invariant(workers)}-{Invariant(cores - 1)}";

    private int WorkerReplicas => _model.Projects.Where(p => p.Model is not null).Sum(p => p.Replicas);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>One running process of a project and where it listens.</summary>
    private sealed record Replica(ChildProcess Process, Uri Grpc, Uri Http);
}
