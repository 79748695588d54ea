namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>One model of <c>GET /v1/models</c>, with the cluster's own facts beside OpenAI's fields.</summary>
public sealed class OpenAiModel
{
    public required string Id { get; init; }

    public string Object => "model";

    public required long Created { get; init; }

    public string OwnedBy => "slmcluster";

    /// <summary>For a LoRA adapter (chosen by its id, as vLLM lists them): the base model it runs on; left out for a model.</summary>
    public string? Parent { get; init; }

    /// <summary>Extension: the model's context window in tokens.</summary>
    public int ContextLength { get; init; }

    /// <summary>Extension: how many healthy workers serve it.</summary>
    public int Replicas { get; init; }

    /// <summary>Extension: what it serves, <c>generation</c> and/or <c>embeddings</c> (<c>POST /v1/embeddings</c>).</summary>
    public string[] Capabilities { get; init; } = ["generation"];

    /// <summary>Extension: values in a full embedding vector; left out when it serves no embeddings.</summary>
    public int? EmbeddingDimensions { get; init; }
}
