using System.Diagnostics;

namespace SlmCluster.Inference;

/// <summary>
/// The running totals behind <see cref="GrammarStatistics"/>: added to by the engine thread (and by admission, for
/// refusals), read by any thread.
/// </summary>
internal sealed class GrammarTotals
{
    private long _requests;
    private long _tokens;
    private long _resamples;
    private long _deadEnds;
    private long _refused;
    private long _ticks;

    public void Ended(int tokens, int resamples, long ticks)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _tokens, tokens);
        Interlocked.Add(ref _resamples, resamples);
        Interlocked.Add(ref _ticks, ticks);
    }

    public void DeadEnd() => Interlocked.Increment(ref _deadEnds);

    public void Refused() => Interlocked.Increment(ref _refused);

    public GrammarStatistics Snapshot() => new(Interlocked.Read(ref _requests), Interlocked.Read(ref _tokens), Interlocked.Read(ref _resamples),
        Interlocked.Read(ref _deadEnds), Interlocked.Read(ref _refused), Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks)).TotalSeconds);
}
