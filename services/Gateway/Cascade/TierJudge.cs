using System.Globalization;

namespace SlmCluster.Gateway.Cascade;

/// <summary>
/// Judges a tier's answer by its acceptance rule: an empty answer is never accepted; a rule without thresholds accepts
/// any other; otherwise the mean token logprob and the lowest one must reach their thresholds (each checked only when
/// set), and an answer that came without logprobs cannot be judged, so it is escalated.
/// </summary>
public static class TierJudge
{
    public static TierVerdict Judge(CascadeAcceptOptions rule, string text, CompletionConfidence confidence)
    {
        if (text.Length == 0)
        {
            return new(false, "escalated: the answer is empty");
        }

        if (!rule.HasThresholds)
        {
            return new(true, "accepted: the tier's rule has no thresholds");
        }

        if (confidence.Tokens == 0)
        {
            return new(false, "escalated: the answer came without token logprobs to judge it by");
        }

        var failed = new List<string>(2);
        var passed = new List<string>(2);
        if (rule.MinMeanLogprob is { } minMean)
        {
            (confidence.MeanLogprob >= minMean ? passed : failed).Add(
                $"mean logprob {Number(confidence.MeanLogprob)} {(confidence.MeanLogprob >= minMean ? "≥" : "<")} {Number(minMean)}");
        }

        if (rule.MinTokenLogprob is { } minToken)
        {
            (confidence.MinLogprob >= minToken ? passed : failed).Add(
                $"min token logprob {Number(confidence.MinLogprob)} {(confidence.MinLogprob >= minToken ? "≥" : "<")} {Number(minToken)}");
        }

        return failed.Count > 0
            ? new(false, "escalated: " + string.Join(", ", failed))
            : new(true, "accepted: " + string.Join(", ", passed));
    }

    /// <summary>A log probability as the reasons write it: two decimals, invariant.</summary>
    internal static string Number(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
