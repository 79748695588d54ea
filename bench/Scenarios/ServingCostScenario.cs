using System.Diagnostics;
using System.Globalization;
using SlmCluster.Bench.Floor;
using SlmCluster.Bench.Load;
using SlmCluster.Bench.Targets;

namespace SlmCluster.Bench.Scenarios;

/// <summary>
/// What the serving path costs in CPU per generated token, at each concurrency: the worker silo's threads other
/// than llama.cpp's, the gateway silo, and the gRPC client, against llama.cpp's own threads in the worker. On a
/// machine whose cores the model's threads fill, this is the CPU that the front door's throughput ratio loses
/// (more than once: a compute thread preempted holds its partner at ggml's next barrier). CPU time comes from the
/// kernel's per-thread accounting, which a drifting host disturbs far less than it disturbs tokens per second, so
/// a change to the serving path shows here when the ratios are lost in the noise. The idle cluster's own CPU
/// (timers, membership probes), measured right after the load, is taken out.
/// </summary>
internal static class ServingCostScenario
{
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(3);

    /// <summary>Tokens measured at each concurrency: at 10 ms steps of CPU accounting, a few seconds of serving CPU.</summary>
    private const int TokensPerConcurrency = 6144;

    private static int s_nextPrompt = -1;

    public static async Task RunAsync(BenchContext context)
    {
        var s = context.Settings;
        Console.WriteLine($"scenario serving-cost: {Path.GetFileName(s.ModelPath)}, {s.Threads} threads, {s.Slots} slots, {s.MaxTokens} tokens, " +
            $"~{TokensPerConcurrency} tokens per concurrency");
        await using var cluster = context.Cluster(workers: 1, threads: s.Threads, slots: s.Slots, contextSize: s.ContextSize);
        await cluster.StartAsync(CancellationToken.None);
        var worker = cluster.Workers[0].Process.Id;
        await using var frontDoor = new GrpcTarget("front door", cluster.GatewayGrpc, worker);
        var paces = new List<(int, double, double, double)>();

        foreach (var c in s.Concurrency)
        {
            var m = await MeasureAsync(context, frontDoor, c, worker, cluster.GatewayProcessId);
            var serving = m.PerToken(m.Net.WorkerOtherNs + m.Net.GatewayNs + m.Net.ClientNs);
            var compute = m.PerToken(m.Used.WorkerComputeNs);
            context.Note($"serving-cost: c={c}, {m.Tokens} tokens at {m.Tokens / m.Wall.TotalSeconds:F1} tok/s: CPU per token, worker outside llama.cpp " +
                $"{m.PerToken(m.Net.WorkerOtherNs):F0} us, gateway {m.PerToken(m.Net.GatewayNs):F0} us, gRPC client {m.PerToken(m.Net.ClientNs):F0} us: " +
                $"serving path {serving:F0} us against llama.cpp's {compute:F0} us ({serving / compute:P1}); the idle cluster's " +
                $"{(m.IdleRate.WorkerOtherNs + m.IdleRate.GatewayNs) / 1e6:F1} ms/s taken out " +
                $"(raw serving path {m.PerToken(m.Used.WorkerOtherNs + m.Used.GatewayNs + m.Used.ClientNs):F0} us)");
            paces.Add((c, m.Wall.TotalMilliseconds * c / m.Tokens, serving, compute));
        }

        // The idle cluster stays up beside the floor: its CPU is its own processes', not this one's.
        await FloorAsync(context, paces);
    }

    /// <summary>
    /// The same path built from the libraries alone (<see cref="FloorPath"/>, the product's three processes), each
    /// stream paced as the product's ran: the CPU per piece that Grpc.Net.Client, Kestrel with Grpc.AspNetCore and
    /// Orleans take whatever SlmCluster does around them.
    /// </summary>
    private static async Task FloorAsync(BenchContext context, List<(int Concurrency, double IntervalMs, double ServingUs, double ComputeUs)> paces)
    {
        await using var floor = await FloorPath.StartAsync(CancellationToken.None);
        await using var target = new GrpcTarget("floor", floor.Grpc, null);
        foreach (var (c, intervalMs, servingUs, computeUs) in paces)
        {
            target.Headers = new Grpc.Core.Metadata { { FloorPath.IntervalHeader, intervalMs.ToString("R", CultureInfo.InvariantCulture) } };
            // The grain silo stands where the worker stands, the front silo where the gateway does.
            var m = await MeasureAsync(context, target, c, floor.GrainSiloProcessId, floor.FrontSiloProcessId);
            var floorUs = m.PerToken(m.Net.WorkerOtherNs + m.Net.GatewayNs + m.Net.ClientNs);
            context.Note($"serving-cost: c={c}, the libraries alone (Grpc.Net.Client -> Kestrel/Grpc.AspNetCore silo -> Orleans grain stream from a second silo), " +
                $"each stream paced at {intervalMs:F2} ms as above, {m.Tokens} pieces at {m.Tokens / m.Wall.TotalSeconds:F1}/s: CPU per piece, grain silo " +
                $"{m.PerToken(m.Net.WorkerOtherNs):F0} us, front silo {m.PerToken(m.Net.GatewayNs):F0} us, client {m.PerToken(m.Net.ClientNs):F0} us: {floorUs:F0} us, " +
                $"{floorUs / computeUs:P1} of llama.cpp's CPU per token above; SlmCluster's serving path {servingUs:F0} us is {servingUs / floorUs:F2} x this floor");

            // The engine scenario's targets leave the whole serving path 1/0.95 - 1 (c=1) and 1/0.97 - 1 (more) of the
            // compute, when each microsecond it takes from the cores costs one of llama.cpp's. The libraries alone
            // take the floor's share; what SlmCluster adds beyond it is held to the whole of that allowance.
            var ratioTarget = c == 1 ? 0.95 : 0.97;
            var allowance = 1 / ratioTarget - 1;
            var floorShare = floorUs / computeUs;
            context.Note($"serving-cost: c={c}: with the libraries' floor alone on the serving path, front door / engine could reach about " +
                $"{1 / (1 + floorShare):F3} here (target {ratioTarget}); the target leaves the whole path {allowance:P1} of llama.cpp's CPU");
            context.Check(new TargetCheck("serving-cost",
                $"CPU per token SlmCluster's serving path adds beyond its libraries' floor, c={c} ({servingUs:F0} - {floorUs:F0} us, " +
                $"over llama.cpp's {computeUs:F0} us), against the whole allowance of front door / engine >= {ratioTarget}",
                (servingUs - floorUs) / computeUs * 100, "% of llama.cpp's CPU", Math.Round(allowance * 100, 2), false));
        }
    }

    /// <summary>
    /// At concurrency <paramref name="c"/>: warm-up traffic for the settings' warm-up (fresh silos JIT for a while),
    /// then ~<see cref="TokensPerConcurrency"/> tokens with the CPU of the model's process, the front process and this
    /// one read around them, then the two services' idle rate, which is taken out.
    /// </summary>
    private static async Task<Measurement> MeasureAsync(BenchContext context, IBenchTarget target, int c, int modelProcess, int frontProcess)
    {
        var s = context.Settings;
        var warmUp = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(warmUp) < s.WarmUp)
        {
            await LoadAsync(target, c, 1, s.MaxTokens, context.Prompts);
        }

        var before = Snapshot.Take(modelProcess, frontProcess);
        var (tokens, wall) = await LoadAsync(target, c, Math.Max(2, TokensPerConcurrency / (c * s.MaxTokens)), s.MaxTokens, context.Prompts);
        var used = Snapshot.Take(modelProcess, frontProcess).Minus(before);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        var idle = Snapshot.Take(modelProcess, frontProcess);
        await Task.Delay(IdleWindow);
        var idleRate = Snapshot.Take(modelProcess, frontProcess).Minus(idle).Scale(1 / IdleWindow.TotalSeconds);
        return new Measurement(tokens, wall, used, used.Minus(idleRate.Scale(wall.TotalSeconds)), idleRate);
    }

    /// <summary>A closed loop: <paramref name="concurrency"/> clients, each sending its requests one after another.</summary>
    private static async Task<(long Tokens, TimeSpan Wall)> LoadAsync(IBenchTarget target, int concurrency, int requestsPerClient, int maxTokens,
        IReadOnlyList<string> prompts)
    {
        var started = Stopwatch.GetTimestamp();
        var tokens = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            long mine = 0;
            for (var i = 0; i < requestsPerClient; i++)
            {
                var prompt = prompts[(int)((uint)Interlocked.Increment(ref s_nextPrompt) % prompts.Count)];
                mine += (await target.RunAsync(prompt, maxTokens, CancellationToken.None)).CompletionTokens;
            }

            return mine;
        }));
        return (tokens.Sum(), Stopwatch.GetElapsedTime(started));
    }

    /// <param name="Used">CPU during the load.</param>
    /// <param name="Net">The same with the idle rate over the load's wall time taken out.</param>
    private sealed record Measurement(long Tokens, TimeSpan Wall, Snapshot Used, Snapshot Net, Snapshot IdleRate)
    {
        public double PerToken(long ns) => ns / 1e3 / Tokens;
    }

    private readonly record struct Snapshot(long WorkerComputeNs, long WorkerOtherNs, long GatewayNs, long ClientNs)
    {
        public static Snapshot Take(int worker, int gateway)
        {
            var w = ThreadCpu.Read(worker);
            return new Snapshot(w.ComputeNs, w.OtherNs, ThreadCpu.Total(gateway), ThreadCpu.Total(Environment.ProcessId));
        }

        public Snapshot Minus(Snapshot o) => new(WorkerComputeNs - o.WorkerComputeNs, WorkerOtherNs - o.WorkerOtherNs, GatewayNs - o.GatewayNs, ClientNs - o.ClientNs);

        public Snapshot Scale(double factor) =>
            new((long)(WorkerComputeNs * factor), (long)(WorkerOtherNs * factor), (long)(GatewayNs * factor), (long)(ClientNs * factor));
    }
}
