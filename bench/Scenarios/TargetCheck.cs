namespace SlmCluster.Bench.Scenarios;

/// <summary>A performance target of an issue and what this run measured against it.</summary>
internal sealed record TargetCheck(string Scenario, string Description, double Measured, string Unit, double Target, bool HigherIsBetter)
{
    public bool Met => HigherIsBetter ? Measured >= Target : Measured <= Target;

    public override string ToString() =>
        $"[{(Met ? "met" : "MISSED")}] {Scenario}: {Description}: {Measured:F3} {Unit} (target {(HigherIsBetter ? ">=" : "<=")} {Target} {Unit})";
}
