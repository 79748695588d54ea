namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>Marks the Ollama API's endpoints, so a request refused before its endpoint (no key, a rate limit) is answered in Ollama's error shape.</summary>
public sealed class OllamaApiMetadata
{
    public static OllamaApiMetadata Instance { get; } = new();

    private OllamaApiMetadata()
    {
    }
}
