using SlmCluster.Bench.Cluster;
using SlmCluster.Bench.Load;
using SlmCluster.Bench.Targets;
using SlmCluster.Inference;

namespace SlmCluster.Bench.Scenarios;

/// <summary>
/// The cluster as users run it against the bench's: the AppHost (<see cref="BenchAppHost"/>: Aspire, its dashboard,
/// OTLP, the default telemetry settings), the stripped cluster the other scenarios measure (<see cref="BenchCluster"/>:
/// no Aspire, no telemetry) and llama-server (llama.cpp's default build, and the OpenMP-off one when given), each with
/// the bench's model, threads and slots and one worker, all up at once and driven in the same interleaved rounds by the
/// same load generator (Grpc.Net.Client for both clusters, streamed <c>/v1/completions</c> for llama-server). The AppHost
/// stays up across the rounds, as the others do: started once per round it would measure its start and JIT in every
/// round. The CPU of each arm's processes during its own bursts is printed as <c>top</c> would show it, and their idle
/// CPU after the rounds, which runs beside the other arms' bursts.
/// </summary>
internal static class AppHostScenario
{
    private const string AppHostArm = "apphost";
    private const string FrontDoorArm = "front door (stripped)";
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(3);

    public static async Task RunAsync(BenchContext context)
    {
        var s = context.Settings;
        if (s.ContextSize != 0)
        {
            // The AppHost has no such option: its workers size the KV cache from the slots, and so must the others here.
            throw new InvalidOperationException("The apphost scenario runs every arm with the KV cache the AppHost's workers size from the slots: leave --ctx-size off.");
        }

        var model = Path.GetFileName(s.ModelPath);
        Console.WriteLine($"scenario apphost: {model}, {s.Threads} threads, {s.Slots} slots, {s.MaxTokens} tokens, one worker; the AppHost, the stripped " +
            $"cluster and llama-server in {s.Rounds} interleaved rounds of {s.RequestsPerClient} request(s) per client");
        await using var cluster = context.Cluster(workers: 1, threads: s.Threads, slots: s.Slots);
        await cluster.StartAsync(CancellationToken.None);
        await using var appHost = new BenchAppHost(s.ModelPath, s.Threads, s.Slots);
        await appHost.StartAsync(CancellationToken.None);
        var contextSize = ContextSize(s);
        await using var peer = s.LlamaServer is { } binary
            ? await LlamaServerPeer.StartAsync("llama-server", binary, s.ModelPath, s.Threads, s.Slots, contextSize, CancellationToken.None)
            : null;
        await using var peerOff = s.LlamaServerOpenMpOff is { } binaryOff
            ? await LlamaServerPeer.StartAsync("llama-server-openmp-off", binaryOff, s.ModelPath, s.Threads, s.Slots, contextSize, CancellationToken.None)
            : null;

        var client = Environment.ProcessId;
        var worker = cluster.Workers[0].Process.Id;
        var strippedRoles = new ProcessRoles([("worker", worker), ("gateway", cluster.GatewayProcessId), ("redis", cluster.RedisProcessId), ("bench client", client)]);
        var appHostRoles = appHost.Processes.With("bench client", client);
        var targets = new List<(IBenchTarget Target, ProcessRoles Roles)>
        {
            (new GrpcTarget(AppHostArm, appHost.GatewayGrpc, appHost.WorkerProcessId), appHostRoles),
            (new GrpcTarget(FrontDoorArm, cluster.GatewayGrpc, worker), strippedRoles),
        };
        if (peer is not null)
        {
            targets.Add((new OpenAiTarget(peer.BaseAddress, null, name: "llama-server (default, OpenMP)", servingProcessId: peer.ProcessId),
                new ProcessRoles([("llama-server", peer.ProcessId), ("bench client", client)])));
        }

        if (peerOff is not null)
        {
            targets.Add((new OpenAiTarget(peerOff.BaseAddress, null, name: "llama-server (OpenMP off)", servingProcessId: peerOff.ProcessId),
                new ProcessRoles([("llama-server", peerOff.ProcessId), ("bench client", client)])));
        }

        try
        {
            await MeasureAsync(context, targets, model);
        }
        finally
        {
            foreach (var (target, _) in targets)
            {
                await target.DisposeAsync();
            }
        }
    }

    private static async Task MeasureAsync(BenchContext context, List<(IBenchTarget Target, ProcessRoles Roles)> targets, string model)
    {
        var s = context.Settings;
        if (targets.Count < 3)
        {
            context.Note("apphost: no llama-server given (--llama-server $(bench/peer.sh)): the AppHost is compared with the stripped cluster only");
        }

        var arms = s.Concurrency.SelectMany(c => targets.Select(t => new Arm(t.Target, c, t.Roles))).ToArray();
        int Index(int target, int c) => Array.FindIndex(arms, a => a.Target == targets[target].Target && a.Concurrency == c);
        var run = await new InterleavedRun(arms, s.Rounds, s.RequestsPerClient, s.MaxTokens, context.Prompts, s.WarmUp).ExecuteAsync(CancellationToken.None);
        foreach (var result in run.Results)
        {
            context.Record(result);
        }

        string Ratio(int a, int b, int c)
        {
            var (median, min, max) = run.Ratio(Index(a, c), Index(b, c));
            return $"{median:F3} (range {min:F3}-{max:F3})";
        }

        void Check(int a, int b, int c, double target)
        {
            var (median, min, max) = run.Ratio(Index(a, c), Index(b, c));
            context.Check(new TargetCheck("apphost", $"{targets[a].Target.Name} / {targets[b].Target.Name} tok/s at c={c}, {model} " +
                $"(median of {s.Rounds} rounds; range {min:F3}-{max:F3})", median, "x", target, true));
        }

        foreach (var c in s.Concurrency)
        {
            Check(0, 1, c, 0.95);
            if (targets.Count > 2)
            {
                Check(0, 2, c, 1.0);
            }
        }

        foreach (var c in s.Concurrency)
        {
            // Every SlmCluster arm over every llama-server build, for reference beside the two checked above.
            for (var peer = 2; peer < targets.Count; peer++)
            {
                context.Note($"apphost: c={c}, {model}: over {targets[peer].Target.Name}: AppHost {Ratio(0, peer, c)}, stripped front door {Ratio(1, peer, c)}");
            }
        }

        for (var i = 0; i < arms.Length; i++)
        {
            if (run.Cpu?[i] is { } cpu)
            {
                context.Note($"apphost: CPU while {arms[i]} ran ({cpu.Wall.TotalSeconds:F1} s of bursts), % of one core: {cpu}");
            }
        }

        // Idle, each arm's processes keep running beside the others' bursts: timers, membership probes, health checks,
        // telemetry export and the dashboard's ingestion.
        var idle = await Task.WhenAll(targets.Select(t => ArmCpu.MeasureAsync(
            new ProcessRoles([.. t.Roles.Processes.Where(p => p.Pid != Environment.ProcessId)]), IdleWindow, CancellationToken.None)));
        for (var t = 0; t < targets.Count; t++)
        {
            context.Note($"apphost: CPU of {targets[t].Target.Name} idle ({IdleWindow.TotalSeconds:F0} s after the rounds), % of one core: {idle[t]}");
        }
    }

    /// <summary>The KV cache the AppHost's worker sizes from the slots, which llama-server is given too.</summary>
    private static int ContextSize(BenchSettings s)
    {
        using var model = LlamaModel.Load(new ModelLoadOptions { Path = s.ModelPath });
        return LlamaEngine.ResolveContextSize(new EngineOptions { ModelPath = s.ModelPath, Threads = s.Threads, Slots = s.Slots }, model.Metadata);
    }
}
