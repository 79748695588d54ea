namespace SlmCluster.Hosting.Publishing;

/// <summary>Identical model servers: a StatefulSet behind a headless Service, so each pod keeps its own DNS name.</summary>
/// <param name="Name">The resource name: the Service, the StatefulSet, the container, the pods' name prefix.</param>
/// <param name="Image">A pinned image built for <paramref name="Device"/>.</param>
/// <param name="Replicas">How many pods; the gateway is handed each one's stable address.</param>
/// <param name="Device">CPUs, or one GPU per pod.</param>
/// <param name="Threads">Threads per pod; null takes 2 on a GPU and 4 on CPUs.</param>
/// <param name="Slots">Concurrent sequences per pod.</param>
/// <param name="Model">The model every pod loads.</param>
/// <param name="GrpcPort">The port the pod serves inference and gRPC health on.</param>
/// <param name="HttpPort">The port of <c>/health</c> and <c>/metrics</c>.</param>
/// <param name="Redis">The Redis the workers register in, or null for none.</param>
internal sealed record WorkerGroupSpec(
    string Name,
    string Image,
    int Replicas,
    WorkerDevice Device,
    int? Threads,
    int Slots,
    ModelSpec Model,
    int GrpcPort,
    int HttpPort,
    RedisSpec? Redis);
