namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>The answer of <c>GET /v1/models</c>.</summary>
public sealed class OpenAiModelList
{
    public string Object => "list";

    public required IReadOnlyList<OpenAiModel> Data { get; init; }
}
