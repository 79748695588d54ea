using System.Diagnostics;
using OpenTelemetry.Trace;
using SlmCluster.ServiceDefaults.Tracing;

namespace SlmCluster.UnitTests.ServiceDefaults;

/// <summary>What the silos' sampler keeps: a bounded number of new traces a second, and whole traces.</summary>
public sealed class TraceRateSamplerTests
{
    [Fact]
    public void A_burst_of_new_traces_keeps_one_second_s_worth_and_drops_the_rest()
    {
        var sampler = new ParentBasedSampler(new TraceRateSampler(3));

        var kept = Enumerable.Range(0, 100).Count(_ => sampler.ShouldSample(Root()).Decision == SamplingDecision.RecordAndSample);

        Assert.InRange(kept, 3, 4); // three at once, and at most one more refilled while the loop ran
    }

    [Fact]
    public void A_span_follows_its_parent_s_decision_even_when_no_new_trace_may_be_kept()
    {
        var sampler = new ParentBasedSampler(new TraceRateSampler(1));
        while (sampler.ShouldSample(Root()).Decision == SamplingDecision.RecordAndSample)
        {
        }

        var sampledParent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
        var droppedParent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None, isRemote: true);

        Assert.Equal(SamplingDecision.RecordAndSample, sampler.ShouldSample(Child(sampledParent)).Decision);
        Assert.Equal(SamplingDecision.Drop, sampler.ShouldSample(Child(droppedParent)).Decision);
    }

    private static SamplingParameters Root() =>
        new(default, ActivityTraceId.CreateRandom(), "POST /v1/completions", ActivityKind.Server);

    private static SamplingParameters Child(ActivityContext parent) =>
        new(parent, parent.TraceId, "slm.worker.generate", ActivityKind.Server);
}
