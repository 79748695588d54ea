namespace SlmCluster.Eval;

/// <summary>A cascade's acceptance threshold (minimum mean logprob of the first tier) as it would have done on a set.</summary>
public sealed record ThresholdPoint(double Threshold, double Agreement, double CostUsd, double EscalatedShare);
