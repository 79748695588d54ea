namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>The body of <c>GET /api/version</c>.</summary>
public sealed class OllamaVersion
{
    public required string Version { get; init; }
}
