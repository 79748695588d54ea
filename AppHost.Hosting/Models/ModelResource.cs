using SlmCluster.AppHost.Hosting.Models;

namespace SlmCluster.AppHost.Hosting;

/// <summary>
/// The GGUF file the workers serve, as a resource of its own: on start it is found in the models folder or
/// downloaded (with its progress in the dashboard) and checked against its SHA-256, and the workers wait for it.
/// </summary>
internal sealed class ModelResource(string name, ModelReference reference) : Resource(name)
{
    public ModelReference Reference { get; } = reference;

    /// <summary>Its LoRA adapters: the model is running once each of them has resolved or failed.</summary>
    public List<AdapterResource> Adapters { get; } = [];

    /// <summary>The verified file, once the resource is running.</summary>
    public string? Path { get; internal set; }
}
