namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>Marks Ollama's <c>GET /</c>, which shares its path with the dashboard's page (<see cref="OllamaRootEndpointPolicy"/>).</summary>
public sealed class OllamaRootMetadata
{
    public static OllamaRootMetadata Instance { get; } = new();

    private OllamaRootMetadata()
    {
    }
}
