namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>One model of <c>GET /v1/models</c>, with the cluster's own facts beside OpenAI's fields.</summary>
public sealed class OpenAiModel
{
    public required string Id { get; init; }

    public string Object => "model";

    public required long Created { get; init; }

    public string OwnedBy => "slmcluster";

    /// <summary>Extension: the model's context window in tokens.</summary>
    public int ContextLength { get; init; }

    /// <summary>Extension: how many healthy workers serve it.</summary>
    public int Replicas { get; init; }
}
