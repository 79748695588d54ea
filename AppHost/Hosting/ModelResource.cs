using SlmCluster.AppHost.Models;

namespace SlmCluster.AppHost.Hosting;

/// <summary>The GGUF model the workers serve: a local file or a reference downloaded and verified before use.</summary>
internal sealed class ModelResource(string name, ModelReference reference) : IResource
{
    public string Name { get; } = name;

    public ModelReference Reference { get; } = reference;
}
