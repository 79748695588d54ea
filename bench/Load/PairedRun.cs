using SlmCluster.Bench.Reports;
using SlmCluster.Bench.Targets;

namespace SlmCluster.Bench.Load;

/// <summary>
/// Two targets measured in alternation, one request each in turn at concurrency 1, so drift in a
/// shared, noisy machine affects both alike: the way to see a difference of a millisecond.
/// </summary>
/// <param name="betweenPairs">Run after each pair, in the same minutes: a reference measurement of its own.</param>
internal sealed class PairedRun(IBenchTarget first, IBenchTarget second, int pairs, int maxTokens, IReadOnlyList<string> firstPrompts, IReadOnlyList<string> secondPrompts,
    Func<CancellationToken, Task>? betweenPairs = null)
{
    /// <summary>After <see cref="ExecuteAsync"/>: the median over pairs of (second − first) end to end, in ms; drift
    /// between pairs cancels out of it.</summary>
    public double MedianPairDifferenceMs { get; private set; }

    /// <summary>After <see cref="ExecuteAsync"/>: as <see cref="MedianPairDifferenceMs"/>, of the time to first token.</summary>
    public double MedianPairFirstTokenDifferenceMs { get; private set; }

    /// <summary>
    /// After <see cref="ExecuteAsync"/>: p50 of (end to end − the engine's own time) of each target, in ms; NaN unless
    /// both report the engine's time. The model's compute, which varies by tens of ms from one request to the next, is
    /// taken out of both sides, so what differs is the path around it.
    /// </summary>
    public (double First, double Second) OutsideEngineP50Ms { get; private set; } = (double.NaN, double.NaN);

    /// <summary>After <see cref="ExecuteAsync"/>: as <see cref="OutsideEngineP50Ms"/>, of the time to first token (the
    /// prefill taken out).</summary>
    public (double First, double Second) FirstTokenOutsideEngineP50Ms { get; private set; } = (double.NaN, double.NaN);

    public double OutsideEngineP50DifferenceMs => OutsideEngineP50Ms.Second - OutsideEngineP50Ms.First;

    public double FirstTokenOutsideEngineP50DifferenceMs => FirstTokenOutsideEngineP50Ms.Second - FirstTokenOutsideEngineP50Ms.First;

    public async Task<(RunResult First, RunResult Second)> ExecuteAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < 20; i++)
        {
            await first.RunAsync(firstPrompts[^1], maxTokens, cancellationToken);
            await second.RunAsync(secondPrompts[^1], maxTokens, cancellationToken);
        }

        var a = new List<RequestSample>(pairs);
        var b = new List<RequestSample>(pairs);
        var wallA = TimeSpan.Zero;
        var wallB = TimeSpan.Zero;
        for (var i = 0; i < pairs; i++)
        {
            // Alternate which goes first, so neither always runs on a freshly idle machine.
            var (x, y, px, py) = i % 2 == 0 ? (first, second, firstPrompts, secondPrompts) : (second, first, secondPrompts, firstPrompts);
            var sx = await x.RunAsync(px[i % px.Count], maxTokens, cancellationToken);
            var sy = await y.RunAsync(py[i % py.Count], maxTokens, cancellationToken);
            var (sa, sb) = i % 2 == 0 ? (sx, sy) : (sy, sx);
            a.Add(sa);
            b.Add(sb);
            wallA += sa.EndToEnd;
            wallB += sb.EndToEnd;
            if (betweenPairs is not null)
            {
                await betweenPairs(cancellationToken);
            }

            if (i % 20 == 0)
            {
                Console.Error.Write($"\r  {first.Name} vs {second.Name}: {i}/{pairs} pairs   ");
            }
        }

        Console.Error.Write("\r" + new string(' ', 100) + "\r");
        MedianPairDifferenceMs = MedianDifference(a, b, s => s.EndToEnd);
        MedianPairFirstTokenDifferenceMs = MedianDifference(a, b, s => s.TimeToFirstToken);
        OutsideEngineP50Ms = P50s(a, b, s => s.OutsideEngine);
        FirstTokenOutsideEngineP50Ms = P50s(a, b, s => s.FirstTokenOutsideEngine);
        return (RunResult.From(first.Name, 1, maxTokens, [.. a], wallA, null), RunResult.From(second.Name, 1, maxTokens, [.. b], wallB, null));
    }

    private static double MedianDifference(List<RequestSample> a, List<RequestSample> b, Func<RequestSample, TimeSpan> value)
    {
        var differences = a.Zip(b, (x, y) => (value(y) - value(x)).TotalMilliseconds).Order().ToArray();
        return differences[differences.Length / 2];
    }

    private static (double, double) P50s(List<RequestSample> a, List<RequestSample> b, Func<RequestSample, TimeSpan?> value) =>
        a.All(s => value(s) is not null) && b.All(s => value(s) is not null)
            ? (RunResult.Percentile(a.Select(s => value(s)!.Value), 50), RunResult.Percentile(b.Select(s => value(s)!.Value), 50))
            : (double.NaN, double.NaN);
}
