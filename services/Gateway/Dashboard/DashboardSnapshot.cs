using SlmCluster.Gateway.Observability;

namespace SlmCluster.Gateway.Dashboard;

/// <summary><c>GET /api/stats</c>: what the dashboard shows, as of now.</summary>
public sealed class DashboardSnapshot
{
    public required IReadOnlyList<DashboardWorker> Workers { get; init; }

    /// <summary>Models healthy workers serve now.</summary>
    public required IReadOnlyList<string> Models { get; init; }

    public required StatsTotals Totals { get; init; }

    public required string DefaultApi { get; init; }

    public required string DefaultApiName { get; init; }

    /// <summary>What the tokens served so far would have cost at the default API.</summary>
    public double ReferenceCostUsd { get; init; }

    /// <summary>The default API's cost minus the self-hosted cost.</summary>
    public double SavedUsd { get; init; }

    public required IReadOnlyList<DashboardApi> ReferenceApis { get; init; }

    /// <summary>Each cascade route since the gateway started: requests, escalations, costs against its last tier alone, its tiers' outcomes.</summary>
    public required IReadOnlyList<CascadeRouteTotals> Cascade { get; init; }
}
