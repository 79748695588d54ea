namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>An error body as OpenAI sends it: <c>{"error":{"message","type","param","code"}}</c>.</summary>
public sealed class OpenAiErrorResponse
{
    public required OpenAiError Error { get; init; }
}
