namespace SlmCluster.Gateway.Dashboard;

/// <summary>A reference API with what this gateway's tokens would have cost there.</summary>
public sealed record DashboardApi(string Id, string Name, double InputPerMillion, double OutputPerMillion, double CostUsd);
