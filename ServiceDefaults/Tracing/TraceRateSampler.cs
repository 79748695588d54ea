using System.Diagnostics;
using OpenTelemetry.Trace;

namespace SlmCluster.ServiceDefaults.Tracing;

/// <summary>
/// Samples at most <c>tracesPerSecond</c> new traces a second (a token bucket that holds one second's worth), so that
/// every request of someone trying the cluster is traced while a load test costs a bounded number of traces. It
/// decides at a trace's start: a trace it drops is dropped whole, errors and slow requests included (the metrics and
/// the logs still count and show them). Wrapped in <see cref="ParentBasedSampler"/>, a span with a parent follows the
/// parent's decision, so a worker keeps exactly the traces the gateway kept.
/// </summary>
public sealed class TraceRateSampler : Sampler
{
    private readonly double _perTick;
    private readonly double _capacity;
    private readonly Lock _gate = new();
    private double _tokens;
    private long _last;

    public TraceRateSampler(double tracesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tracesPerSecond);
        _perTick = tracesPerSecond / Stopwatch.Frequency;
        _capacity = Math.Max(1, tracesPerSecond);
        _tokens = _capacity;
        _last = Stopwatch.GetTimestamp();
        Description = FormattableString.Invariant($"TraceRateSampler{{{tracesPerSecond}/s}}");
    }

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            _tokens = Math.Min(_capacity, _tokens + ((now - _last) * _perTick));
            _last = now;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                return new SamplingResult(SamplingDecision.RecordAndSample);
            }
        }

        return new SamplingResult(SamplingDecision.Drop);
    }
}
