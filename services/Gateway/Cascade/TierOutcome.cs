namespace SlmCluster.Gateway.Cascade;

/// <summary>What became of a tier's attempt at a request (<c>CascadeAttempt.outcome</c>, the <c>outcome</c> label).</summary>
public static class TierOutcome
{
    /// <summary>Its answer was returned: judged good enough, or it is the last tier and answered.</summary>
    public const string Accepted = "accepted";

    /// <summary>It answered, but not confidently enough: the next tier was asked.</summary>
    public const string Escalated = "escalated";

    /// <summary>It was not asked: the prompt was longer than it takes.</summary>
    public const string Skipped = "skipped";

    /// <summary>It failed (no worker, a worker error, the external endpoint's error or timeout).</summary>
    public const string Error = "error";

    public static readonly IReadOnlyList<string> All = [Accepted, Escalated, Skipped, Error];
}
