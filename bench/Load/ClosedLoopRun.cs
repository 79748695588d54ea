using System.Collections.Concurrent;
using System.Diagnostics;
using SlmCluster.Bench.Reports;
using SlmCluster.Bench.Targets;

namespace SlmCluster.Bench.Load;

/// <summary>
/// N clients, each sending its next request as soon as the previous one finished, for a fixed
/// number of requests per client; two warm-up requests per client are not counted.
/// </summary>
internal sealed class ClosedLoopRun(IBenchTarget target, int concurrency, int requestsPerClient, int maxTokens, IReadOnlyList<string> prompts)
{
    public async Task<RunResult> ExecuteAsync(CancellationToken cancellationToken)
    {
        // Warm-up, not counted: every client twice at full length, so connections, threads, caches and the
        // JIT's tiered recompilation (which otherwise takes CPU from llama.cpp in the first requests) are done.
        for (var round = 0; round < 2; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(c => target.RunAsync(prompts[(c + round * concurrency) % prompts.Count], maxTokens, cancellationToken)));
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
                var sample = await target.RunAsync(prompts[(client + i * concurrency) % prompts.Count], maxTokens, cancellationToken);
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
