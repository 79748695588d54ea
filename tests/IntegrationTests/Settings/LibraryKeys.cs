namespace SlmCluster.IntegrationTests.Settings;

/// <summary>
/// The environment variables the AppHost and the manifests may set that no options type of ours binds, each with
/// who reads it. Anything else a service is handed must be read by one of its options types.
/// </summary>
internal static class LibraryKeys
{
    private const string OrleansReads = "Orleans' own configuration (UseOrleans in AddSlmSilo)";

    private static readonly (string Key, bool IsPrefix, string ReadBy)[] Keys =
    [
        ("OTEL_", true, "OpenTelemetry's SDK (the service defaults' OTLP exporter)"),
        ("ASPNETCORE_", true, "ASP.NET Core's host"),
        ("DOTNET_", true, ".NET's runtime and host"),
        ("services__", true, "Aspire's service discovery (Microsoft.Extensions.ServiceDiscovery)"),
        ("Logging__", true, "Microsoft.Extensions.Logging (Aspire sets the console formatter)"),
        ("Orleans__EnableDistributedTracing", false, "Orleans' own configuration (set by Aspire's Orleans integration)"),
        ("ConnectionStrings__", true, "Orleans' Redis providers and the gateway's Redis client, by the name Orleans__*__ConnectionName gives"),
        (ClusterSettings.Keys.ParentProcessId, false, "the service defaults' ParentProcessWatcher"),
        (ClusterSettings.Keys.TracesPerSecond, false, "the service defaults' trace sampler (TraceRateSampler)"),
        ("SLM_MODELS_DIR", false, "the worker's ModelPathResolver (where a model named by file name is looked for)"),
        ("NVIDIA_VISIBLE_DEVICES", false, "the NVIDIA container runtime (the CUDA worker image)"),
        ("NVIDIA_DRIVER_CAPABILITIES", false, "the NVIDIA container runtime (the CUDA worker image)"),
        ("REDIS_PASSWORD", false, "Kubernetes, which puts it into the connection string ($(REDIS_PASSWORD))"),
        (ClusterSettings.Keys.Orleans.KubernetesClusterId, false, "Orleans' Kubernetes hosting"),
        (ClusterSettings.Keys.Orleans.KubernetesServiceId, false, "Orleans' Kubernetes hosting"),
        ("POD_NAME", false, "Orleans' Kubernetes hosting (and AddSlmSilo, which turns it on in a pod)"),
        ("POD_NAMESPACE", false, "Orleans' Kubernetes hosting"),
        ("POD_IP", false, "Orleans' Kubernetes hosting"),
        (ClusterSettings.Keys.Orleans.ClusterId, false, OrleansReads),
        (ClusterSettings.Keys.Orleans.ServiceId, false, OrleansReads),
        (ClusterSettings.Keys.Orleans.SiloPort, false, OrleansReads),
        (ClusterSettings.Keys.Orleans.GatewayPort, false, OrleansReads),
        (ClusterSettings.Keys.Orleans.AdvertisedIPAddress, false, OrleansReads),
        (ClusterSettings.Keys.Orleans.ProviderType(ClusterSettings.Keys.Orleans.Clustering), false, OrleansReads),
        (ClusterSettings.Keys.Orleans.ConnectionName(ClusterSettings.Keys.Orleans.Clustering), false, OrleansReads),
        (ClusterSettings.Keys.Orleans.ProviderType(ClusterSettings.Keys.Orleans.GrainDirectory(ClusterSettings.WorkerDirectory)), false, OrleansReads),
        (ClusterSettings.Keys.Orleans.ConnectionName(ClusterSettings.Keys.Orleans.GrainDirectory(ClusterSettings.WorkerDirectory)), false, OrleansReads),
    ];

    /// <summary>Who reads <paramref name="variable"/>, or null when it is none of these.</summary>
    public static string? ReaderOf(string variable) =>
        Keys.FirstOrDefault(k => k.IsPrefix
            ? variable.StartsWith(k.Key, StringComparison.OrdinalIgnoreCase)
            : variable.Equals(k.Key, StringComparison.OrdinalIgnoreCase)).ReadBy;
}
