namespace SlmCluster.Gateway.Dashboard;

/// <summary>One worker as the dashboard lists it.</summary>
public sealed class DashboardWorker
{
    public required string Id { get; init; }

    public required string Address { get; init; }

    public string? Model { get; init; }

    public string? Device { get; init; }

    /// <summary>serving, draining or unhealthy.</summary>
    public required string State { get; init; }

    /// <summary>Requests running or queued at the worker (as it announced it, else this gateway's own).</summary>
    public int Load { get; init; }

    public int Slots { get; init; }

    /// <summary>Activations of the worker's grain on its silo: 1 for the silo's life unless the grain was lost.</summary>
    public int Activations { get; init; }

    /// <summary>
    /// How long this gateway's recent status calls to the worker's grain took (ms): the Orleans round trip between the
    /// two silos, the least any call to the worker costs.
    /// </summary>
    public Observability.LatencyPercentiles? StatusRoundTripMs { get; init; }
}
