namespace SlmCluster.Gateway.Cascade;

/// <summary>Whether a tier's answer is returned, and why, in words a person reads in <c>served.cascade.reason</c>.</summary>
public readonly record struct TierVerdict(bool Accepted, string Reason);
