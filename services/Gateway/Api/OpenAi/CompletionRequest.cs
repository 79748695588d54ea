using System.Text.Json;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>The body of <c>POST /v1/completions</c>.</summary>
public sealed class CompletionRequest : OpenAiGenerationRequest
{
    /// <summary>A string, or an array holding one string.</summary>
    public JsonElement? Prompt { get; set; }

    /// <summary>Return each token's log probability and those of this many most likely tokens there, 0 to 5.</summary>
    public int? Logprobs { get; set; }

    /// <summary>Read to be refused: 1 (or none) is the only value that changes nothing.</summary>
    public int? BestOf { get; set; }

    /// <summary>Read to be refused: only false changes nothing.</summary>
    public bool? Echo { get; set; }

    /// <summary>Read to be refused: only an empty suffix changes nothing.</summary>
    public string? Suffix { get; set; }
}
