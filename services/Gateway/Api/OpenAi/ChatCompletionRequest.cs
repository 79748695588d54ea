namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>The body of <c>POST /v1/chat/completions</c>.</summary>
public sealed class ChatCompletionRequest : OpenAiGenerationRequest
{
    public List<ChatMessageInput?>? Messages { get; set; }

    /// <summary>The newer name of <see cref="OpenAiGenerationRequest.MaxTokens"/>; wins when both are sent.</summary>
    public int? MaxCompletionTokens { get; set; }
}
