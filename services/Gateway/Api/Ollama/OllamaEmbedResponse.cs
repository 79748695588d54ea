namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>The answer of <c>POST /api/embed</c>: one vector per input, in order, and the durations in nanoseconds.</summary>
public sealed class OllamaEmbedResponse
{
    public required string Model { get; init; }

    public required float[][] Embeddings { get; init; }

    public long TotalDuration { get; init; }

    public long LoadDuration { get; init; }

    public int PromptEvalCount { get; init; }
}
