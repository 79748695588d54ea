namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>The body of <c>GET /api/tags</c> and <c>GET /api/ps</c>.</summary>
public sealed class OllamaModelList
{
    public required OllamaModel[] Models { get; init; }
}
