namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>The body of <c>POST /v1/chat/completions</c>.</summary>
public sealed class ChatCompletionRequest : OpenAiGenerationRequest
{
    public List<ChatMessageInput?>? Messages { get; set; }

    /// <summary>The newer name of <see cref="OpenAiGenerationRequest.MaxTokens"/>; wins when both are sent.</summary>
    public int? MaxCompletionTokens { get; set; }

    /// <summary>Return the log probability of each token of the content.</summary>
    public bool? Logprobs { get; set; }

    /// <summary>Also the most likely tokens at each position, 0 to 20; only with <c>logprobs: true</c>.</summary>
    public int? TopLogprobs { get; set; }
}
