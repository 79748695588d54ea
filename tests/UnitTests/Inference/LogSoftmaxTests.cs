using SlmCluster.Inference;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

public sealed class LogSoftmaxTests
{
    [Fact]
    public void Log_sum_exp_matches_the_definition_on_ordinary_logits()
    {
        float[] logits = [1.5f, -2f, 0.25f, 3f, -0.75f];
        double expected = Math.Log(logits.Sum(x => Math.Exp(x)));

        Assert.Equal(expected, LogSoftmax.LogSumExp(logits), 12);
    }

    [Fact]
    public void Log_sum_exp_does_not_overflow_or_underflow_on_extreme_logits()
    {
        Assert.Equal(1000 + Math.Log(2), LogSoftmax.LogSumExp([1000f, 1000f]), 9);
        Assert.Equal(-1000 + Math.Log(3), LogSoftmax.LogSumExp([-1000f, -1000f, -1000f]), 9);
        // A masked token adds nothing; every token masked has no distribution at all.
        Assert.Equal(Math.Log(2), LogSoftmax.LogSumExp([0f, float.NegativeInfinity, 0f]), 12);
        Assert.Equal(double.NegativeInfinity, LogSoftmax.LogSumExp([float.NegativeInfinity, float.NegativeInfinity]));
    }

    [Fact]
    public void Probabilities_from_log_sum_exp_add_up_to_one()
    {
        var random = new Random(3);
        float[] logits = Enumerable.Range(0, 32000).Select(_ => (float)(random.NextDouble() * 40 - 20)).ToArray();
        double logSum = LogSoftmax.LogSumExp(logits);

        Assert.Equal(1.0, logits.Sum(x => Math.Exp(x - logSum)), 9);
    }

    [Fact]
    public void Top_selection_gives_the_best_ids_best_first_as_a_full_sort_would()
    {
        var random = new Random(5);
        float[] logits = Enumerable.Range(0, 5000).Select(_ => (float)random.NextDouble()).ToArray();
        Span<int> best = stackalloc int[20];

        int count = LogSoftmax.SelectTop(logits, best);

        int[] sorted = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).Take(20).ToArray();
        Assert.Equal(20, count);
        Assert.Equal(sorted, best.ToArray());
    }

    [Fact]
    public void Equal_logits_keep_the_lower_id_first_as_a_greedy_pick_does()
    {
        Span<int> best = stackalloc int[3];

        int count = LogSoftmax.SelectTop([1f, 5f, 2f, 5f, 5f, 0f], best);

        Assert.Equal(3, count);
        Assert.Equal([1, 3, 4], best.ToArray());
    }

    [Fact]
    public void Top_selection_asks_for_more_than_there_are_and_skips_NaN()
    {
        Span<int> best = stackalloc int[5];

        int count = LogSoftmax.SelectTop([0.5f, float.NaN, 2f, float.NegativeInfinity], best);

        Assert.Equal(3, count);
        Assert.Equal([2, 0, 3], best[..count].ToArray());
        Assert.Equal(0, LogSoftmax.SelectTop([], best));
        Assert.Equal(0, LogSoftmax.SelectTop([1f, 2f], []));
    }
}
