using System.Diagnostics;
using SlmCluster.Bench.Reports;
using SlmCluster.Bench.Targets;

namespace SlmCluster.Bench.Load;

/// <summary>
/// Several arms (a target at a concurrency) measured in turns: every round gives each arm a short closed-loop burst
/// (its clients, the same requests per client), in an order that rotates from round to round. On a shared VM
/// whose speed drifts by tens of percent over minutes, targets measured one after the other compare their minutes
/// as much as themselves; in turns, each round's drift touches them all alike, and the ratio of two targets within a
/// round is what the comparison rests on.
/// </summary>
internal sealed class InterleavedRun(
    IReadOnlyList<Arm> arms,
    int rounds,
    int requestsPerClient,
    int maxTokens,
    IReadOnlyList<string> prompts,
    TimeSpan warmUp)
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    private int _nextPrompt = -1;

    /// <summary>Every request its own prompt, warm-up included: a repeated one would meet its cached prefix, and
    /// the gateway's prefix affinity would send it back to the same worker.</summary>
    private string NextPrompt() => prompts[Interlocked.Increment(ref _nextPrompt) % prompts.Count];

    public async Task<InterleavedResult> ExecuteAsync(CancellationToken cancellationToken)
    {
        foreach (var arm in arms)
        {
            // Warm-up, not counted: at least two bursts and at least warmUp, so that connections, threads and caches
            // are ready. Fresh processes JIT for seconds (the gateway spent ~45% of its CPU in the JIT 10 s after
            // start), and that CPU comes out of llama.cpp's cores.
            var warmUpStarted = Stopwatch.GetTimestamp();
            for (var round = 0; round < 2 || Stopwatch.GetElapsedTime(warmUpStarted) < warmUp; round++)
            {
                await BurstAsync(arm, 1, cancellationToken);
            }
        }

        var samples = arms.Select(_ => new List<RequestSample>()).ToArray();
        var walls = arms.Select(_ => TimeSpan.Zero).ToArray();
        var perRound = arms.Select(_ => new double[rounds]).ToArray();
        var steadyPerRound = arms.Select(_ => new double[rounds]).ToArray();
        var cpu = arms.Select(x => x.Processes is { } p ? new long[p.Processes.Count] : null).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < arms.Count; k++)
            {
                var a = (round + k) % arms.Count;
                // A pause between bursts: compute threads that spin-wait for a while after their last step (llama.cpp's
                // threadpool polling) are asleep again before the next arm starts.
                await Task.Delay(Settle, cancellationToken);
                var cpuBefore = arms[a].Processes?.Read();
                var (burst, wall, steady) = await BurstAsync(arms[a], requestsPerClient, cancellationToken);
                if (cpuBefore is not null)
                {
                    var cpuAfter = arms[a].Processes!.Read();
                    for (var i = 0; i < cpuAfter.Length; i++)
                    {
                        cpu[a]![i] += cpuAfter[i] - cpuBefore[i];
                    }
                }

                samples[a].AddRange(burst);
                walls[a] += wall;
                perRound[a][round] = burst.Sum(s => s.CompletionTokens) / wall.TotalSeconds;
                steadyPerRound[a][round] = steady;
            }

            Console.Error.Write($"\r  round {round + 1}/{rounds}: " +
                string.Join(", ", arms.Select((x, i) => $"{x} {perRound[i][round]:F0}")) + " tok/s   ");
        }

        Console.Error.Write("\r" + new string(' ', 160) + "\r");
        var results = arms.Select((x, i) => RunResult.From(x.Target.Name, x.Concurrency, maxTokens, [.. samples[i]], walls[i], PeakRss.OfProcess(x.Target.ServingProcessId))).ToArray();
        var cpuByArm = arms.Select((x, i) => x.Processes is { } p ? new ArmCpu(p, cpu[i]!, walls[i]) : null).ToArray();
        return new InterleavedResult(results, perRound, steadyPerRound, cpuByArm);
    }

    private async Task<(RequestSample[] Samples, TimeSpan Wall, double SteadyTokensPerSecond)> BurstAsync(Arm arm, int requests, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var perClient = await Task.WhenAll(Enumerable.Range(0, arm.Concurrency).Select(async _ =>
        {
            var mine = new TimedSample[requests];
            for (var i = 0; i < requests; i++)
            {
                var sent = Stopwatch.GetTimestamp();
                mine[i] = new TimedSample(sent, await arm.Target.RunAsync(NextPrompt(), maxTokens, cancellationToken));
            }

            return mine;
        }));
        return (perClient.SelectMany(x => x).Select(t => t.Sample).ToArray(), Stopwatch.GetElapsedTime(started), SteadyTokensPerSecond(perClient));
    }

    /// <summary>
    /// Tokens/s while every client kept a request running: from the moment the first client got its first answer
    /// whole (the burst's common start and prefill are over, requests now come and go) to the moment the first
    /// client finished its last (from then on fewer than all are busy). A request's tokens are counted in the
    /// window pro rata: its first at the time to first token, the rest evenly until its end. NaN with one request
    /// per client, which has no such window.
    /// </summary>
    internal static double SteadyTokensPerSecond(IReadOnlyList<TimedSample[]> perClient)
    {
        if (perClient.Count == 0 || perClient[0].Length < 2)
        {
            return double.NaN;
        }

        var from = perClient.Min(c => c[0].Ended);
        var to = perClient.Min(c => c[^1].Ended);
        if (to <= from)
        {
            return double.NaN;
        }

        double tokens = 0;
        foreach (var sample in perClient.SelectMany(c => c))
        {
            var first = sample.FirstToken;
            if (sample.Sample.CompletionTokens > 0 && first >= from && first < to)
            {
                tokens += 1;
            }

            if (sample.Sample.CompletionTokens > 1 && sample.Ended > first)
            {
                var overlap = Math.Min(sample.Ended, to) - Math.Max(first, from);
                if (overlap > 0)
                {
                    tokens += (sample.Sample.CompletionTokens - 1) * (double)overlap / (sample.Ended - first);
                }
            }
        }

        return tokens / Stopwatch.GetElapsedTime(from, to).TotalSeconds;
    }
}

/// <summary>A request's sample and when its client sent it (a <see cref="Stopwatch"/> timestamp).</summary>
internal readonly record struct TimedSample(long Sent, RequestSample Sample)
{
    public long FirstToken => Sent + (long)(Sample.TimeToFirstToken.TotalSeconds * Stopwatch.Frequency);

    public long Ended => Sent + (long)(Sample.EndToEnd.TotalSeconds * Stopwatch.Frequency);
}

/// <summary>A target driven by <paramref name="Concurrency"/> clients; the CPU of <paramref name="Processes"/> is read around its bursts.</summary>
internal sealed record Arm(IBenchTarget Target, int Concurrency, ProcessRoles? Processes = null)
{
    public override string ToString() => $"{Target.Name} c={Concurrency}";
}

/// <summary>
/// The arms' results over all rounds (in the order of the arms), each round's tokens/s per arm over whole bursts,
/// and over each burst's steady window (<see cref="InterleavedRun.SteadyTokensPerSecond"/>), and the CPU of each arm's
/// processes during its bursts (null for an arm that names none).
/// </summary>
internal sealed record InterleavedResult(IReadOnlyList<RunResult> Results, IReadOnlyList<double[]> TokensPerSecondByRound, IReadOnlyList<double[]> SteadyTokensPerSecondByRound,
    IReadOnlyList<ArmCpu?>? Cpu = null)
{
    /// <summary>Tokens/s of arm <paramref name="a"/> over arm <paramref name="b"/>: the median of the rounds' ratios, and their range.</summary>
    public (double Median, double Min, double Max) Ratio(int a, int b) => MedianRatio(TokensPerSecondByRound, a, b);

    /// <summary>As <see cref="Ratio"/>, over the bursts' steady windows (NaN with one request per client).</summary>
    public (double Median, double Min, double Max) SteadyRatio(int a, int b) => MedianRatio(SteadyTokensPerSecondByRound, a, b);

    /// <summary>The median of the finite values (the mean of the middle two for an even count); NaN when there are none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        return sorted.Length % 2 == 1
            ? sorted[sorted.Length / 2]
            : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static (double Median, double Min, double Max) MedianRatio(IReadOnlyList<double[]> byRound, int a, int b)
    {
        var ratios = byRound[a].Zip(byRound[b], (x, y) => x / y).Where(double.IsFinite).ToArray();
        return ratios.Length == 0 ? (double.NaN, double.NaN, double.NaN) : (Median(ratios), ratios.Min(), ratios.Max());
    }
}
