using System.Text.Json.Nodes;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>The body of <c>POST /api/show</c>: what the gateway knows of a model, with Ollama's field names.</summary>
public sealed class OllamaShowResponse
{
    /// <summary>No Modelfile exists: models are declared in the AppHost; this says so to a client that shows it.</summary>
    public required string Modelfile { get; init; }

    public string Parameters => "";

    /// <summary>The gateway renders with the GGUF's own chat template (a Jinja template, not Ollama's Go one): none to show here.</summary>
    public string Template => "";

    public required OllamaModelDetails Details { get; init; }

    public required JsonObject ModelInfo { get; init; }

    public required string[] Capabilities { get; init; }

    public required DateTimeOffset ModifiedAt { get; init; }
}
