using System.Text.Json;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>The body of <c>POST /v1/completions</c>.</summary>
public sealed class CompletionRequest : OpenAiGenerationRequest
{
    /// <summary>A string, or an array holding one string.</summary>
    public JsonElement? Prompt { get; set; }

    /// <summary>Return each token's log probability and those of this many most likely tokens there, 0 to 5.</summary>
    public int? Logprobs { get; set; }
}
