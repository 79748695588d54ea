using System.Diagnostics;
using Grpc.Core;
using SlmCluster.Protocol.V1;
using InferenceClient = SlmCluster.Protocol.V1.Inference.InferenceClient;

namespace SlmCluster.IntegrationTests.ContainerSuite;

/// <summary>
/// Callers that each send a stream, wait for its end, and send the next, until stopped: every request's start, end,
/// chunks, the worker that answered it (or that its error names) and its error, on one clock.
/// </summary>
internal sealed class ClosedLoopLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _callers = [];
    private readonly List<Outcome> _outcomes = [];
    private readonly Stopwatch _clock;

    private ClosedLoopLoad(Stopwatch clock) => _clock = clock;

    /// <param name="client">Each caller's gateway, by caller index.</param>
    public static ClosedLoopLoad Start(Func<int, InferenceClient> client, int callers, int maxTokens, Stopwatch clock)
    {
        var load = new ClosedLoopLoad(clock);
        for (var i = 0; i < callers; i++)
        {
            var caller = i;
            load._callers.Add(Task.Run(() => load.CallAsync(client(caller), caller, maxTokens)));
        }

        return load;
    }

    /// <summary>The requests that have ended so far.</summary>
    public IReadOnlyList<Outcome> Outcomes
    {
        get
        {
            lock (_outcomes)
            {
                return [.. _outcomes];
            }
        }
    }

    /// <summary>Stops sending; waits for the requests under way to end (each has its deadline).</summary>
    public async Task<IReadOnlyList<Outcome>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_callers);
        return Outcomes;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task CallAsync(InferenceClient client, int caller, int maxTokens)
    {
        for (var n = 0; !_stop.IsCancellationRequested; n++)
        {
            var started = _clock.Elapsed;
            var chunks = 0;
            string? worker = null;
            RpcException? error = null;
            try
            {
                var request = new GenerateRequest { Prompt = $"Once upon a time, caller {caller} told story {n}", MaxTokens = maxTokens, IgnoreEos = true };
                // A deadline well past any fault's detection: a request that outlives it was lost, not failed over.
                using var call = client.GenerateStream(request, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(90)));
                await foreach (var chunk in call.ResponseStream.ReadAllAsync())
                {
                    chunks++;
                    worker = chunk.Served?.WorkerId is { Length: > 0 } id ? id : worker;
                }
            }
            catch (RpcException e)
            {
                error = e;
            }

            lock (_outcomes)
            {
                _outcomes.Add(new Outcome(caller, started, _clock.Elapsed, chunks, worker, error));
            }
        }
    }

    /// <summary>Whether every caller's request that was under way at <paramref name="moment"/> has ended.</summary>
    public bool AllEndedSince(TimeSpan moment, int callers)
    {
        var outcomes = Outcomes;
        return Enumerable.Range(0, callers).All(c => outcomes.Any(o => o.Caller == c && o.Ended >= moment));
    }

    /// <param name="Caller">Which of the load's callers sent it.</param>
    /// <param name="Worker">The worker that answered (from the closing chunk); null for a failed request.</param>
    internal sealed record Outcome(int Caller, TimeSpan Started, TimeSpan Ended, int Chunks, string? Worker, RpcException? Error)
    {
        /// <summary>Whether it failed on <paramref name="worker"/> after its first chunk: what a lost host may take with it.</summary>
        public bool FailedMidwayOn(string worker) =>
            Error is { StatusCode: StatusCode.Unavailable } e && Chunks > 0 && e.Status.Detail.Contains($"Worker {worker} ", StringComparison.Ordinal);

        public override string ToString() =>
            $"[{Started.TotalSeconds:F1}-{Ended.TotalSeconds:F1} s] {Chunks} chunks " + (Error is { } e ? $"{e.StatusCode}: {e.Status.Detail}" : $"from {Worker}");
    }
}
