namespace SlmCluster.Eval;

/// <summary>One answer of a candidate or the reference to an item, as the gateway returned it.</summary>
/// <param name="MeanLogprob">The answer's mean token logprob, when it was asked for.</param>
public sealed record EvalAnswer(string Text, double CostUsd, double LatencyMs, bool Escalated, double? MeanLogprob, string? Error);
