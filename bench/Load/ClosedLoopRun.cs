using System.Collections.Concurrent;
using System.Diagnostics;
using SlmCluster.Bench.Reports;
using SlmCluster.Bench.Targets;

namespace SlmCluster.Bench.Load;

/// <summary>
/// N clients, each sending its next request as soon as the previous one finished, for a fixed
/// number of requests per client, after a warm-up that is not counted.
/// </summary>
internal sealed class ClosedLoopRun(IBenchTarget target, int concurrency, int requestsPerClient, int maxTokens, IReadOnlyList<string> prompts, TimeSpan warmUp)
{
    private int _nextPrompt = -1;

    /// <summary>Every request its own prompt, warm-up included: a repeated one would meet its cached prefix, and
    /// the gateway's prefix affinity would send it back to the same worker.</summary>
    private string NextPrompt() => prompts[Interlocked.Increment(ref _nextPrompt) % prompts.Count];

    public async Task<RunResult> ExecuteAsync(CancellationToken cancellationToken)
    {
        // Warm-up, not counted: every client at least twice at full length, and for at least WarmUp, so that
        // connections, threads and caches are ready and the JIT's tiered recompilation is done. Fresh processes
        // JIT for seconds (the gateway spent ~45% of its CPU in the JIT 10 s after start), and that CPU comes out
        // of llama.cpp's cores: measured without this, a run of a few seconds says more about the JIT than the
        // serving path.
        var warmUpStarted = Stopwatch.GetTimestamp();
        for (var round = 0; round < 2 || Stopwatch.GetElapsedTime(warmUpStarted) < warmUp; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => target.RunAsync(NextPrompt(), maxTokens, cancellationToken)));
        }

        var samples = new ConcurrentBag<RequestSample>();
        var total = concurrency * requestsPerClient;
        var done = 0;
        var tokens = 0L;
        var started = Stopwatch.GetTimestamp();
        using var progress = new Timer(_ =>
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Console.Error.Write($"\r  {target.Name,-10} c={concurrency,-3} {Volatile.Read(ref done),4}/{total} requests  {Interlocked.Read(ref tokens) / Math.Max(elapsed, 1e-9),8:F1} tok/s  ");
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async client =>
        {
            for (var i = 0; i < requestsPerClient; i++)
            {
                var sample = await target.RunAsync(NextPrompt(), maxTokens, cancellationToken);
                samples.Add(sample);
                Interlocked.Add(ref tokens, sample.CompletionTokens);
                Interlocked.Increment(ref done);
            }
        }));

        var wall = Stopwatch.GetElapsedTime(started);
        Console.Error.Write("\r" + new string(' ', 80) + "\r");
        return RunResult.From(target.Name, concurrency, maxTokens, samples.ToArray(), wall, PeakRss.OfProcess(target.ServingProcessId));
    }
}
