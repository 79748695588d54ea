namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>A model's <c>details</c> in <c>/api/tags</c>, <c>/api/ps</c> and <c>/api/show</c>.</summary>
public sealed class OllamaModelDetails
{
    public string ParentModel => "";

    public string Format => "gguf";

    public required string Family { get; init; }

    public required string[] Families { get; init; }

    /// <summary>As Ollama writes it: <c>135M</c>, <c>1.5B</c>.</summary>
    public required string ParameterSize { get; init; }

    /// <summary>Not known to the gateway: its workers report no file type.</summary>
    public string QuantizationLevel => "";
}
