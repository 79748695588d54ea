namespace SlmCluster.Eval;

/// <summary>What <c>./build.sh eval</c> writes: the set, the reference, each candidate, and a cascade's sweep when one was asked for.</summary>
/// <param name="ReferenceErrors">Items the reference failed to answer (e.g. a schema its vocabulary cannot spell): left out of every agreement and of the sweep.</param>
/// <param name="ReferenceFirstError">The first of those failures, as the endpoint gave it (an API key it echoed is redacted).</param>
public sealed record EvalReport(string Set, int Items, string Reference, DateTimeOffset When, int ReferenceErrors, string? ReferenceFirstError,
    IReadOnlyList<CandidateReport> Candidates, SweepReport? Sweep);
