namespace SlmCluster.AppHost.Hosting.Publishing;

/// <summary>What the manifests take from the AppHost's options rather than from the application model.</summary>
/// <param name="ImagePrefix">Image repository prefix, e.g. <c>registry.example/slm</c>.</param>
/// <param name="ImageTag">A pinned image tag (never <c>latest</c>).</param>
/// <param name="ModelBaseUrl">Where the init container downloads <c>hf://</c> models from; null for the hub.</param>
/// <param name="Threads">Engine threads per worker pod; 0 lets the manifests choose by device.</param>
/// <param name="Cascade">The gateway's cascade route, if the AppHost declares one.</param>
internal sealed record KubernetesPublishOptions(string ImagePrefix, string ImageTag, string? ModelBaseUrl, int Threads,
    Cascade.CascadeRouteDeclaration? Cascade = null)
{
    /// <summary>Every silo's <c>Telemetry__TracesPerSecond</c>, as in the local run.</summary>
    public string TracesPerSecond { get; init; } = "1";
}
