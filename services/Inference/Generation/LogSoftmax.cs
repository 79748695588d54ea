namespace SlmCluster.Inference;

/// <summary>
/// Log probabilities from a row of logits without materialising the softmax: log p(i) = logit(i) − log Σ exp(logit),
/// the sum taken stably (shifted by the maximum, accumulated in double), and the best few ids found by partial
/// selection in one pass instead of sorting the vocabulary.
/// </summary>
internal static class LogSoftmax
{
    /// <summary>
    /// log Σ exp(logits): the maximum m first, then m + log Σ exp(x − m) in double, so no term overflows and the
    /// largest one is exactly 1. Masked entries (−∞) add nothing; NaN entries are skipped.
    /// Negative infinity when every entry is masked (or the row is empty).
    /// </summary>
    public static double LogSumExp(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (float x in logits)
        {
            if (x > max)
            {
                max = x;
            }
        }
        if (float.IsNegativeInfinity(max))
        {
            return double.NegativeInfinity;
        }
        if (float.IsPositiveInfinity(max))
        {
            return double.PositiveInfinity;
        }

        double shift = max;
        double sum = 0;
        foreach (float x in logits)
        {
            // Written so a NaN compares false and is left out.
            if (x >= float.NegativeInfinity)
            {
                sum += Math.Exp(x - shift);
            }
        }
        return shift + Math.Log(sum);
    }

    /// <summary>
    /// Writes to <paramref name="best"/> the ids of the highest logits, best first; equal logits keep the lower id
    /// first (as a greedy pick does). Returns how many were written: the smaller of <paramref name="best"/>'s length
    /// and the number of non-NaN logits. One pass; each id costs a comparison with the current worst kept, and only
    /// ids that beat it are inserted (at most <paramref name="best"/>'s length moves).
    /// </summary>
    public static int SelectTop(ReadOnlySpan<float> logits, Span<int> best)
    {
        int capacity = Math.Min(best.Length, logits.Length);
        if (capacity == 0)
        {
            return 0;
        }

        int count = 0;
        float worstKept = float.NaN;
        for (int id = 0; id < logits.Length; id++)
        {
            float x = logits[id];
            if (count == capacity ? !(x > worstKept) : float.IsNaN(x))
            {
                continue;
            }

            int i = count < capacity ? count++ : capacity - 1;
            while (i > 0 && x > logits[best[i - 1]])
            {
                best[i] = best[i - 1];
                i--;
            }
            best[i] = id;
            worstKept = logits[best[count - 1]];
        }
        return count;
    }
}
