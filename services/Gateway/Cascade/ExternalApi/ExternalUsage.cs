namespace SlmCluster.Gateway.Cascade.ExternalApi;

/// <summary>The <c>usage</c> of an answer: what the endpoint charges for.</summary>
internal sealed record ExternalUsage(int PromptTokens, int CompletionTokens);
