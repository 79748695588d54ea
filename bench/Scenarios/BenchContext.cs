using SlmCluster.Bench.Cluster;
using SlmCluster.Bench.Load;
using SlmCluster.Bench.Reports;
using SlmCluster.Bench.Targets;

namespace SlmCluster.Bench.Scenarios;

/// <summary>What every scenario needs: the settings, a way to run a closed loop, and where results and checks go.</summary>
internal sealed class BenchContext(BenchSettings settings, IReadOnlyList<string> prompts)
{
    public BenchSettings Settings => settings;

    /// <summary>Prompts of one shape, never repeated within a run.</summary>
    public IReadOnlyList<string> Prompts => prompts;

    public List<RunResult> Results { get; } = [];

    public List<TargetCheck> Checks { get; } = [];

    /// <summary>Findings without a target (the cascade's shares and costs), printed and kept for the report.</summary>
    public List<string> Notes { get; } = [];

    public void Note(string note)
    {
        Notes.Add(note);
        Console.WriteLine("  " + note);
    }

    public async Task<RunResult> MeasureAsync(IBenchTarget target, int concurrency, int maxTokens, int requestsPerClient, IReadOnlyList<string>? promptsOverride = null, string? label = null)
    {
        // One arm, one round: a closed loop of requestsPerClient per client after the usual warm-up.
        var run = await new InterleavedRun([new Arm(target, concurrency)], 1, requestsPerClient, maxTokens, promptsOverride ?? prompts, settings.WarmUp)
            .ExecuteAsync(CancellationToken.None);
        var result = run.Results[0] with { Target = label ?? run.Results[0].Target };
        Record(result);
        return result;
    }

    /// <summary>Prints <paramref name="result"/> and keeps it for the report.</summary>
    public void Record(RunResult result)
    {
        Console.WriteLine($"  {result.Target,-22} c={result.Concurrency,-3} {result.TokensPerSecond,8:F1} tok/s  TTFT p50 {result.TtftP50Ms,7:F2} ms  E2E p50 {result.E2eP50Ms,8:F2} ms  p99 {result.E2eP99Ms,8:F2} ms");
        Results.Add(result);
    }

    public void Check(TargetCheck check)
    {
        Checks.Add(check);
        Console.WriteLine("  " + check);
    }

    /// <summary>Redis, worker silos and a gateway silo started for one scenario, with their logs quiet.</summary>
    public BenchCluster Cluster(int workers, int threads, int slots, CorePlacement placement = CorePlacement.Unpinned, int contextSize = 0) =>
        new(new BenchClusterOptions(settings.ModelPath, workers, threads, slots, placement, contextSize));
}
