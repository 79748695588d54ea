namespace SlmCluster.Settings;

/// <summary>
/// The settings every part of the cluster must agree on, defined once: the ids, the grain directory, the ports, the
/// device names and the environment variables the AppHost's local run and the published manifests hand the silos.
/// The services' option defaults are these values, and a test reads every environment the AppHost and the manifests
/// produce through the services' own option binding.
/// </summary>
public static class ClusterSettings
{
    /// <summary>Orleans' cluster id every silo shares; also the silo pods' <c>orleans/clusterId</c> label.</summary>
    public const string ClusterId = "slmcluster";

    /// <summary>Orleans' service id every silo shares; also the silo pods' <c>orleans/serviceId</c> label.</summary>
    public const string ServiceId = "slmcluster";

    /// <summary>The grain directory the worker grains register in (kept in Redis, not on a silo).</summary>
    public const string WorkerDirectory = "workers";

    /// <summary>
    /// The Redis that holds the membership table, the worker grain directory and the response cache: the resource's
    /// name and the name of its connection string (<c>ConnectionStrings:redis</c>).
    /// </summary>
    public const string RedisName = "redis";

    /// <summary>The Orleans provider type of the membership table and the worker grain directory.</summary>
    public const string RedisProvider = "Redis";

    /// <summary>The ports the cluster listens on unless configured otherwise.</summary>
    public static class Ports
    {
        /// <summary>The silo-to-silo port (Orleans' default).</summary>
        public const int Silo = 11111;

        /// <summary>The gateway's public gRPC port (h2c).</summary>
        public const int GatewayGrpc = 5000;

        /// <summary>The gateway's public HTTP port (OpenAI API, dashboard, /metrics); in a pod, every silo's HTTP port.</summary>
        public const int GatewayHttp = 8080;

        /// <summary>A worker's HTTP port (/health, /alive, /metrics) when nothing assigns one.</summary>
        public const int WorkerHttp = 5101;

        /// <summary>The port of the published Redis.</summary>
        public const int Redis = 6379;
    }

    /// <summary>
    /// What a worker computes on, as the AppHost takes it (<c>--device</c>), the worker is configured with
    /// (<c>Worker:Device</c>) and reports to the front door and the dashboard.
    /// </summary>
    public static class Devices
    {
        public const string Cpu = "cpu";

        /// <summary>NVIDIA GPUs through llama.cpp's CUDA backend (a CUDA build of the worker).</summary>
        public const string Cuda = "cuda";

        public static IReadOnlyList<string> Names { get; } = [Cpu, Cuda];

        public static bool IsKnown(string? device) => device is Cpu or Cuda;

        public static bool IsGpu(string device) => device == Cuda;

        /// <summary>The layers a worker on <paramref name="device"/> offloads (<c>Worker:GpuLayers</c>): every one on a GPU, none on CPUs.</summary>
        public static int GpuLayers(string device) => IsGpu(device) ? -1 : 0;
    }

    /// <summary>
    /// The environment variables the AppHost and the published manifests set, as .NET configuration reads them
    /// (<c>__</c> for <c>:</c>).
    /// </summary>
    public static class Keys
    {
        /// <summary>Read by every service's ServiceDefaults: the process exits when the AppHost with this id is gone.</summary>
        public const string ParentProcessId = "SLM_PARENT_PID";

        /// <summary>
        /// Read by every service's ServiceDefaults: at most this many new traces a second are sampled (parent-based);
        /// 0 or unset: every trace, or what <c>OTEL_TRACES_SAMPLER</c> says.
        /// </summary>
        public const string TracesPerSecond = "Telemetry__TracesPerSecond";

        /// <summary>The connection string named <paramref name="name"/> (<c>ConnectionStrings:{name}</c>).</summary>
        public static string ConnectionString(string name) => $"ConnectionStrings__{name}";

        /// <summary>The worker's <c>Worker</c> section.</summary>
        public static class Worker
        {
            public const string Id = "Worker__Id";
            public const string ModelPath = "Worker__ModelPath";
            public const string Threads = "Worker__Threads";
            public const string Slots = "Worker__Slots";
            public const string ContextSize = "Worker__ContextSize";
            public const string Device = "Worker__Device";
            public const string GpuLayers = "Worker__GpuLayers";
            public const string HttpPort = "Worker__HttpPort";
            public const string BindAddress = "Worker__BindAddress";
            public const string Serves = "Worker__Serves";

            /// <summary>The name requests choose the <paramref name="index"/>-th LoRA adapter by.</summary>
            public static string AdapterName(int index) => $"Worker__Adapters__{index}__Name";

            /// <summary>The verified GGUF file of the <paramref name="index"/>-th LoRA adapter.</summary>
            public static string AdapterPath(int index) => $"Worker__Adapters__{index}__Path";
        }

        /// <summary>The gateway's <c>Gateway</c> section.</summary>
        public static class Gateway
        {
            public const string GrpcPort = "Gateway__GrpcPort";
            public const string HttpPort = "Gateway__HttpPort";
            public const string BindAddress = "Gateway__BindAddress";
            public const string DefaultModel = "Gateway__DefaultModel";
            public const string CacheEnabled = "Gateway__Cache__Enabled";
            public const string CacheTrackKeys = "Gateway__Cache__TrackKeys";

            /// <summary>The cascade route <paramref name="route"/>'s section (<c>Gateway:Cascade:Routes:{route}</c>).</summary>
            public static string CascadeRoute(string route) => $"Gateway__Cascade__Routes__{route}";
        }

        /// <summary>The <c>Orleans</c> section every silo reads, and Orleans' Kubernetes hosting's own variables.</summary>
        public static class Orleans
        {
            public const string ClusterId = "Orleans__ClusterId";
            public const string ServiceId = "Orleans__ServiceId";
            public const string Clustering = "Orleans__Clustering";
            public const string SiloPort = "Orleans__Endpoints__SiloPort";
            public const string GatewayPort = "Orleans__Endpoints__GatewayPort";
            public const string AdvertisedIPAddress = "Orleans__Endpoints__AdvertisedIPAddress";

            /// <summary>Orleans' Kubernetes hosting reads the ids from these (and the pod from <c>POD_*</c>).</summary>
            public const string KubernetesClusterId = "ORLEANS_CLUSTER_ID";

            public const string KubernetesServiceId = "ORLEANS_SERVICE_ID";

            /// <summary>The grain directory <paramref name="name"/>'s section (<c>Orleans:GrainDirectory:{name}</c>).</summary>
            public static string GrainDirectory(string name) => $"Orleans__GrainDirectory__{name}";

            /// <summary>A provider section's type (<c>{section}:ProviderType</c>).</summary>
            public static string ProviderType(string section) => $"{section}__ProviderType";

            /// <summary>A provider section's connection string name (<c>{section}:ConnectionName</c>).</summary>
            public static string ConnectionName(string section) => $"{section}__ConnectionName";
        }
    }
}
