using System.ComponentModel.DataAnnotations;

namespace SlmCluster.Worker.Configuration;

/// <summary>One LoRA adapter of the worker's model (an entry of <c>Worker:Adapters</c>).</summary>
public sealed class WorkerAdapterOptions
{
    /// <summary>The name requests choose it by: a model id of its own at the front door.</summary>
    [Required(ErrorMessage = "Worker:Adapters:N:Name is required.")]
    [RegularExpression(@"^[A-Za-z0-9][A-Za-z0-9._:\-/]{0,127}$", ErrorMessage = "Worker:Adapters:N:Name must be 1 to 128 letters, digits or . _ : - /, starting with a letter or digit.")]
    public string Name { get; set; } = "";

    /// <summary>The adapter's GGUF file; relative paths are looked up in the models folder.</summary>
    [Required(ErrorMessage = "Worker:Adapters:N:Path is required.")]
    public string Path { get; set; } = "";
}
