namespace SlmCluster.Gateway.Cascade.ExternalApi;

/// <summary>
/// What an external tier is sent: an OpenAI chat completions request, streamed with its usage, carrying what the
/// endpoint can honour of the caller's request. A field left null is left out (not OpenAI's <c>top_k</c>, say, which a
/// strict provider would refuse).
/// </summary>
internal sealed record ExternalChatRequest(
    string Model,
    IReadOnlyList<ExternalChatMessage> Messages,
    int? MaxTokens,
    float Temperature,
    float? TopP,
    uint? Seed,
    IReadOnlyList<string>? Stop)
{
    public bool Stream => true;

    public ExternalStreamOptions StreamOptions { get; } = new(IncludeUsage: true);
}
