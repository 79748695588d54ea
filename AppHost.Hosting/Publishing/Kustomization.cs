namespace SlmCluster.AppHost.Hosting.Publishing;

/// <summary>
/// kustomization.yaml: the files <c>kubectl apply -k</c> applies. Kustomize's type has no counterpart in the
/// Kubernetes API models, so this carries the three fields the manifests use.
/// </summary>
internal sealed class Kustomization
{
    public string ApiVersion { get; } = "kustomize.config.k8s.io/v1beta1";

    public string Kind { get; } = "Kustomization";

    public required IReadOnlyList<string> Resources { get; init; }
}
