using System.Collections.Concurrent;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Caching;

/// <summary>
/// Identical cacheable requests that arrive while the first is still generating wait for its answer
/// instead of generating it again.
/// </summary>
public sealed class SingleFlight
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<GenerateResponse?>> _inFlight = new();

    /// <summary>
    /// Either makes the caller the leader for <paramref name="key"/> (returns a lease the leader completes),
    /// or hands back the leader's pending answer to wait for.
    /// </summary>
    public bool TryLead(string key, out Lease lease, out Task<GenerateResponse?> leaderAnswer)
    {
        var mine = new TaskCompletionSource<GenerateResponse?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var current = _inFlight.GetOrAdd(key, mine);
        lease = new Lease(this, key, mine);
        leaderAnswer = current.Task;
        return ReferenceEquals(current, mine);
    }

    private void Complete(string key, TaskCompletionSource<GenerateResponse?> source, GenerateResponse? answer)
    {
        _inFlight.TryRemove(KeyValuePair.Create(key, source));
        source.TrySetResult(answer);
    }

    /// <summary>The leader's duty: hand its answer to the waiters, or null when it has none (they then generate themselves).</summary>
    public readonly struct Lease(SingleFlight owner, string key, TaskCompletionSource<GenerateResponse?> source)
    {
        public void Complete(GenerateResponse? answer) => owner?.Complete(key, source, answer);
    }
}
