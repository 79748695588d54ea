using SlmCluster.Gateway.Cascade;
using WireLogprob = SlmCluster.Protocol.V1.TokenLogprob;

namespace SlmCluster.UnitTests.Gateway.Cascade;

/// <summary>How a tier's answer is judged by its acceptance rule, from the token logprobs it came with.</summary>
public sealed class TierJudgeTests
{
    private static CompletionConfidence Of(params float[] logprobs) =>
        CompletionConfidence.Of(logprobs.Select(l => new WireLogprob { Token = "t", Logprob = l }));

    [Fact]
    public void Confidence_is_the_mean_and_the_lowest_token_logprob()
    {
        // (-0.1 - 0.5 - 1.2) / 3 = -0.6; the lowest is -1.2.
        var confidence = Of(-0.1f, -0.5f, -1.2f);

        Assert.Equal(3, confidence.Tokens);
        Assert.Equal(-0.6, confidence.MeanLogprob, precision: 6);
        Assert.Equal(-1.2, confidence.MinLogprob, precision: 6);
    }

    [Fact]
    public void The_grain_contracts_logprobs_give_the_same_confidence_as_the_wires()
    {
        var contract = CompletionConfidence.Of(new[] { -0.25f, -2f }.Select(l => new SlmCluster.Contracts.TokenLogprob { Token = "t", Logprob = l }));

        Assert.Equal(Of(-0.25f, -2f), contract);
    }

    [Fact]
    public void A_logprob_that_is_not_a_finite_number_counts_as_all_but_impossible()
    {
        var confidence = Of(-1f, float.NegativeInfinity, float.NaN);

        Assert.Equal(CompletionConfidence.FloorLogprob, confidence.MinLogprob);
        Assert.True(double.IsFinite(confidence.MeanLogprob));
    }

    [Fact]
    public void An_answer_above_both_thresholds_is_accepted_and_the_reason_shows_both_comparisons()
    {
        var verdict = TierJudge.Judge(new CascadeAcceptOptions { MinMeanLogprob = -1.5, MinTokenLogprob = -8 }, "Once upon a time",
            Of(-0.2f, -0.4f, -3.2f));

        Assert.True(verdict.Accepted);
        // Mean (-0.2 - 0.4 - 3.2) / 3 = -1.2666… → -1.27.
        Assert.Equal("accepted: mean logprob -1.27 ≥ -1.50, min token logprob -3.20 ≥ -8.00", verdict.Reason);
    }

    [Fact]
    public void A_mean_below_its_threshold_escalates_saying_by_how_much()
    {
        var verdict = TierJudge.Judge(new CascadeAcceptOptions { MinMeanLogprob = -1.5 }, "text", Of(-2f, -2.6f));

        Assert.False(verdict.Accepted);
        Assert.Equal("escalated: mean logprob -2.30 < -1.50", verdict.Reason);
    }

    [Fact]
    public void One_unlikely_token_escalates_even_when_the_mean_is_fine()
    {
        var verdict = TierJudge.Judge(new CascadeAcceptOptions { MinMeanLogprob = -2, MinTokenLogprob = -8 }, "text",
            Of(-0.1f, -0.1f, -0.1f, -0.1f, -9f));

        Assert.False(verdict.Accepted);
        Assert.Equal("escalated: min token logprob -9.00 < -8.00", verdict.Reason);
    }

    [Fact]
    public void A_threshold_left_out_is_not_checked()
    {
        var verdict = TierJudge.Judge(new CascadeAcceptOptions { MinTokenLogprob = -10 }, "text", Of(-4f, -5f));

        Assert.True(verdict.Accepted);
        Assert.Equal("accepted: min token logprob -5.00 ≥ -10.00", verdict.Reason);
    }

    [Fact]
    public void A_threshold_above_zero_can_never_be_met()
    {
        // The most confident answer there is: every token certain (log 1 = 0).
        var verdict = TierJudge.Judge(new CascadeAcceptOptions { MinMeanLogprob = 1 }, "text", Of(0f, 0f));

        Assert.False(verdict.Accepted);
        Assert.Equal("escalated: mean logprob 0.00 < 1.00", verdict.Reason);
    }

    [Fact]
    public void An_empty_rule_accepts_any_answer_even_one_without_logprobs()
    {
        var verdict = TierJudge.Judge(new CascadeAcceptOptions(), "text", CompletionConfidence.None);

        Assert.True(verdict.Accepted);
        Assert.Equal("accepted: the tier's rule has no thresholds", verdict.Reason);
    }

    [Fact]
    public void An_empty_answer_is_never_confident()
    {
        Assert.False(TierJudge.Judge(new CascadeAcceptOptions(), "", CompletionConfidence.None).Accepted);
        var verdict = TierJudge.Judge(new CascadeAcceptOptions { MinMeanLogprob = -1000 }, "", CompletionConfidence.None);

        Assert.False(verdict.Accepted);
        Assert.Equal("escalated: the answer is empty", verdict.Reason);
    }

    [Fact]
    public void An_answer_without_logprobs_cannot_meet_a_threshold()
    {
        var verdict = TierJudge.Judge(new CascadeAcceptOptions { MinMeanLogprob = -1000 }, "text", CompletionConfidence.None);

        Assert.False(verdict.Accepted);
        Assert.Contains("without token logprobs", verdict.Reason);
    }
}
