using SlmCluster.AppHost.Hosting.Models;

namespace SlmCluster.AppHost.Hosting;

/// <summary>
/// A LoRA adapter GGUF of a model, as a resource of its own: found or downloaded and verified as models are, with its
/// state on the dashboard. Its model waits for it to resolve or fail; a failed adapter is left out of the workers'
/// settings and the model serves without it.
/// </summary>
internal sealed class AdapterResource(string name, string adapterName, ModelReference reference, ModelResource model) : Resource(name)
{
    /// <summary>The name requests choose it by.</summary>
    public string AdapterName { get; } = adapterName;

    public ModelReference Reference { get; } = reference;

    /// <summary>The model it adapts.</summary>
    public ModelResource Model { get; } = model;

    /// <summary>The verified file, once resolved; null while resolving or after a failure.</summary>
    public string? Path { get; internal set; }

    /// <summary>Completes when resolving ended, resolved or failed.</summary>
    public TaskCompletionSource Settled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
