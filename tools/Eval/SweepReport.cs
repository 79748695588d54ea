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
    ThresholdPoint? HeldOutHalf);
