using SlmCluster.Gateway.Observability;

namespace SlmCluster.Gateway.Dashboard;

/// <summary><c>GET /api/stats</c>: what the dashboard shows, as of now.</summary>
/// <param name="Models">Models healthy workers serve now.</param>
/// <param name="ReferenceCostUsd">What the tokens served so far would have cost at the default API.</param>
/// <param name="SavedUsd">The default API's cost minus the self-hosted cost.</param>
/// <param name="Cascade">Each cascade route since the gateway started: requests, escalations, costs against its last tier alone, its tiers' outcomes.</param>
/// <param name="Adapters">Each LoRA adapter requests ran under since the gateway started: requests, tokens, cost.</param>
/// <param name="Shadow">Each shadowed route or model since the gateway started: shadows by outcome, the reference's cost, mean agreement by metric.</param>
public sealed record DashboardSnapshot(
    IReadOnlyList<DashboardWorker> Workers,
    IReadOnlyList<string> Models,
    StatsTotals Totals,
    string DefaultApi,
    string DefaultApiName,
    double ReferenceCostUsd,
    double SavedUsd,
    IReadOnlyList<DashboardApi> ReferenceApis,
    IReadOnlyList<CascadeRouteTotals> Cascade,
    IReadOnlyList<ShadowTargetTotals> Shadow,
    IReadOnlyList<AdapterTotals> Adapters);
