namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>The answer of the older <c>POST /api/embeddings</c>: one vector.</summary>
public sealed class OllamaEmbeddingResponse
{
    public required float[] Embedding { get; init; }
}
