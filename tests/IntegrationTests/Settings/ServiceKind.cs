namespace SlmCluster.IntegrationTests.Settings;

/// <summary>The two services the AppHost and the manifests start, each an Orleans silo of the cluster.</summary>
internal enum ServiceKind
{
    Worker,
    Gateway,
}
