namespace SlmCluster.Eval;

/// <summary>
/// Replays a two-tier cascade offline, as a router is calibrated on a set: with the first tier's answer and mean
/// logprob and the last tier's answer for every item, a threshold t accepts the first answer when its mean logprob is
/// at least t (costing the first tier), else escalates (costing both). Each item's agreement with the reference is
/// known for both answers, so every threshold is scored without asking again.
/// </summary>
public static class ThresholdSweep
{
    /// <summary>One item: the first tier's mean logprob and cost, the last tier's cost, and each answer's agreement with the reference.</summary>
    public readonly record struct Row(double MeanLogprob, double FirstCostUsd, double LastCostUsd, double FirstAgreement, double LastAgreement);

    /// <summary>Every threshold that splits the rows differently: accept all, each observed mean logprob, escalate all.</summary>
    public static IReadOnlyList<ThresholdPoint> Sweep(IReadOnlyList<Row> rows)
    {
        var thresholds = rows.Select(r => r.MeanLogprob).Distinct().Order().Prepend(double.NegativeInfinity).Append(double.PositiveInfinity);
        return [.. thresholds.Select(t => At(rows, t))];
    }

    public static ThresholdPoint At(IReadOnlyList<Row> rows, double threshold)
    {
        if (rows.Count == 0)
        {
            return new ThresholdPoint(threshold, 0, 0, 0);
        }

        double agreement = 0, cost = 0;
        var escalated = 0;
        foreach (var row in rows)
        {
            var accepted = row.MeanLogprob >= threshold;
            agreement += accepted ? row.FirstAgreement : row.LastAgreement;
            cost += row.FirstCostUsd + (accepted ? 0 : row.LastCostUsd);
            escalated += accepted ? 0 : 1;
        }

        return new ThresholdPoint(threshold, agreement / rows.Count, cost, (double)escalated / rows.Count);
    }

    /// <summary>The cheapest point meeting <paramref name="target"/> (the lowest threshold among equals: it escalates least); null when none does.</summary>
    public static ThresholdPoint? Cheapest(IEnumerable<ThresholdPoint> points, double target) => points
        .Where(p => p.Agreement >= target - 1e-12)
        .OrderBy(p => p.CostUsd)
        .ThenBy(p => p.Threshold)
        .Cast<ThresholdPoint?>()
        .FirstOrDefault();
}
