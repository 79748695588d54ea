namespace SlmCluster.Gateway.Dashboard;

/// <summary>A reference API with what this gateway's tokens would have cost there.</summary>
public sealed class DashboardApi
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public double InputPerMillion { get; init; }

    public double OutputPerMillion { get; init; }

    public double CostUsd { get; init; }
}
