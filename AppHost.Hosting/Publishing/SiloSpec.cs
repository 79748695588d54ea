namespace SlmCluster.AppHost.Hosting.Publishing;

/// <summary>
/// How every pod joins the Orleans cluster: the gateway and each worker are silos that find each other through the
/// Redis membership table and talk to each other on <paramref name="SiloPort"/> at their own pod IP.
/// </summary>
/// <param name="ClusterId">Orleans' cluster id, also the pods' <c>orleans/clusterId</c> label.</param>
/// <param name="ServiceId">Orleans' service id, also the pods' <c>orleans/serviceId</c> label.</param>
/// <param name="SiloPort">The silo-to-silo port every pod listens on.</param>
/// <param name="ServiceAccount">
/// The ServiceAccount silo pods run as: Orleans' Kubernetes agent reads and watches the silo pods with it, and marks a
/// silo dead as soon as its pod is deleted.
/// </param>
/// <param name="WorkerDirectory">The grain directory the worker grains are registered in (Redis, not on a silo).</param>
internal sealed record SiloSpec(string ClusterId, string ServiceId, int SiloPort, string ServiceAccount, string WorkerDirectory)
{
    /// <summary>Every silo's trace sampling (<c>Telemetry__TracesPerSecond</c>), as in the local run.</summary>
    public string TracesPerSecond { get; init; } = "1";
}
