namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>Ollama's error body, <c>{"error": "..."}</c>, as a whole answer or as the last line of a stream.</summary>
public sealed class OllamaErrorResponse
{
    public required string Error { get; init; }
}
