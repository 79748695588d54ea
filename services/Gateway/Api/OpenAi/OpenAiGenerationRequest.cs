using System.Text.Json;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>The fields <c>/v1/chat/completions</c> and <c>/v1/completions</c> share; unknown fields are ignored.</summary>
public abstract class OpenAiGenerationRequest
{
    public string? Model { get; set; }

    public int? MaxTokens { get; set; }

    public double? Temperature { get; set; }

    public double? TopP { get; set; }

    /// <summary>Extension (llama-server and others): 0 disables top-k.</summary>
    public int? TopK { get; set; }

    public long? Seed { get; set; }

    /// <summary>A string or an array of strings.</summary>
    public JsonElement? Stop { get; set; }

    public int? N { get; set; }

    public bool? Stream { get; set; }

    public OpenAiStreamOptions? StreamOptions { get; set; }

    /// <summary>The end user; routes their requests back to the worker holding their KV cache.</summary>
    public string? User { get; set; }

    /// <summary>llama-server's extension: keep generating past end-of-sequence (benchmarks).</summary>
    public bool? IgnoreEos { get; set; }
}
