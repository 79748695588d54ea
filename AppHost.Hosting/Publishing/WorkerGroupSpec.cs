namespace SlmCluster.AppHost.Hosting.Publishing;

/// <summary>
/// Identical model servers, each an Orleans silo hosting one pinned model grain: a StatefulSet (a stable pod name,
/// which names the silo, and a model volume per pod) behind a headless Service that Prometheus discovers them by.
/// </summary>
/// <param name="Name">The resource name: the Service, the StatefulSet, the container, the pods' name prefix.</param>
/// <param name="Image">A pinned image built for <paramref name="Device"/>.</param>
/// <param name="Replicas">How many pods; the gateway finds them through Orleans' membership.</param>
/// <param name="Device">One of <see cref="ClusterSettings.Devices"/>: CPUs, or one GPU per pod with every layer offloaded.</param>
/// <param name="Threads">Threads per pod; null takes 2 on a GPU and 4 on CPUs.</param>
/// <param name="Slots">Concurrent sequences per pod.</param>
/// <param name="Model">The model every pod loads.</param>
/// <param name="HttpPort">The port of <c>/health</c> (readiness), <c>/alive</c> (liveness) and <c>/metrics</c>.</param>
/// <param name="Serves">What the pods serve with the model: generation, embeddings or both (<c>Worker:Serves</c>).</param>
/// <param name="Adapters">LoRA adapters of the model, each fetched and verified beside it; <see cref="ModelSpec.Name"/> is the name requests choose it by.</param>
internal sealed record WorkerGroupSpec(
    string Name,
    string Image,
    int Replicas,
    string Device,
    int? Threads,
    int Slots,
    ModelSpec Model,
    int HttpPort,
    string Serves = "generation",
    IReadOnlyList<ModelSpec>? Adapters = null);
