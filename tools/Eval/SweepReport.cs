namespace SlmCluster.Eval;

/// <summary>
/// A cascade route's threshold sweep: every threshold over the whole set, the cheapest one meeting the target
/// agreement, and the held-out check: chosen on the even items, then applied to the odd ones.
/// </summary>
public sealed record SweepReport(
    string Route,
    string FirstTier,
    string LastTier,
    string Metric,
    double TargetAgreement,
    IReadOnlyList<ThresholdPoint> Points,
    ThresholdPoint? Suggested,
    ThresholdPoint? CalibrationHalf,
    ThresholdPoint? HeldOutHalf)
{
    /// <summary>How far the held-out half may fall from what the calibration half promised, in agreement points (±5).</summary>
    public const double HeldOutTolerance = 0.05;

    /// <summary>Whether the held-out half gave the agreement the calibration half promised within ±5 points; null without a check.</summary>
    public bool? HeldOutWithinTolerance => CalibrationHalf is { } calibration && HeldOutHalf is { } heldOut
        ? Math.Abs(heldOut.Agreement - calibration.Agreement) <= HeldOutTolerance + 1e-12
        : null;
}
