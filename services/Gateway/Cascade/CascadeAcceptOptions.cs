namespace SlmCluster.Gateway.Cascade;

/// <summary>
/// A tier's acceptance rule, over the natural-log probabilities of the tokens it generated. Log probabilities are at
/// most 0, so a threshold above 0 can never be met: it always escalates (allowed, for tests and drills).
/// </summary>
public sealed class CascadeAcceptOptions
{
    /// <summary>The mean token logprob must be at least this (e.g. -1.5); null: not checked.</summary>
    public double? MinMeanLogprob { get; set; }

    /// <summary>Every token's logprob must be at least this (e.g. -8); null: not checked.</summary>
    public double? MinTokenLogprob { get; set; }

    /// <summary>Whether any threshold is set; a rule without one accepts whatever non-empty answer the tier gives.</summary>
    public bool HasThresholds => MinMeanLogprob is not null || MinTokenLogprob is not null;
}
