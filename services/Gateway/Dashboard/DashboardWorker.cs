namespace SlmCluster.Gateway.Dashboard;

/// <summary>One worker as the dashboard lists it.</summary>
/// <param name="Adapters">The LoRA adapters the worker has loaded on its model.</param>
/// <param name="State">serving, draining or unhealthy.</param>
/// <param name="Load">Requests running or queued at the worker (as it announced it, else this gateway's own).</param>
/// <param name="Activations">Activations of the worker's grain on its silo: 1 for the silo's life unless the grain was lost.</param>
/// <param name="StatusRoundTripMs">
/// How long this gateway's recent status calls to the worker's grain took (ms): the Orleans round trip between the
/// two silos, the least any call to the worker costs.
/// </param>
public sealed record DashboardWorker(
    string Id,
    string Address,
    string? Model,
    IReadOnlyList<string> Adapters,
    string? Device,
    string State,
    int Load,
    int Slots,
    int Activations,
    Observability.LatencyPercentiles? StatusRoundTripMs);
