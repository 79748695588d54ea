namespace SlmCluster.Eval;

/// <summary>One candidate over the set: accuracy against the expected answers, agreement with the reference, cost, latency, escalations.</summary>
/// <param name="Accuracy">Mean token F1 against <c>expected</c> over the items that have one; null when none has.</param>
/// <param name="ExactMatch">Share of those items answered exactly (normalised).</param>
/// <param name="FirstError">The first failed answer's error, as the gateway gave it.</param>
/// <param name="Agreement">Mean agreement with the reference by metric label (<c>exact_match</c>, <c>f1</c>, <c>rouge_l</c>, <c>json_agreement</c>).</param>
public sealed record CandidateReport(
    string Candidate,
    int Items,
    int Errors,
    string? FirstError,
    double? Accuracy,
    double? ExactMatch,
    IReadOnlyDictionary<string, double> Agreement,
    double CostUsd,
    double LatencyP50Ms,
    double LatencyP99Ms,
    double EscalatedShare);
