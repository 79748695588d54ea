namespace SlmCluster.Eval;

/// <summary>What <c>./build.sh eval</c> writes: the set, the reference, each candidate, and a cascade's sweep when one was asked for.</summary>
public sealed record EvalReport(string Set, int Items, string Reference, DateTimeOffset When, IReadOnlyList<CandidateReport> Candidates, SweepReport? Sweep);
