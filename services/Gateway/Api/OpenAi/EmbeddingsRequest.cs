using System.Text.Json;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>The body of <c>POST /v1/embeddings</c>. Unknown fields are ignored, as for the other endpoints.</summary>
public sealed class EmbeddingsRequest
{
    public string? Model { get; set; }

    /// <summary>A string, an array of strings, an array of token ids, or an array of arrays of token ids.</summary>
    public JsonElement? Input { get; set; }

    /// <summary><c>float</c> (the default) or <c>base64</c> (little-endian float32s, as OpenAI sends them).</summary>
    public string? EncodingFormat { get; set; }

    /// <summary>Keep the first this many dimensions, renormalised to unit length.</summary>
    public int? Dimensions { get; set; }

    /// <summary>The end user: taken and not needed (embeddings keep no conversation to route back to).</summary>
    public string? User { get; set; }

    /// <summary>Extension (llama-server's and Ollama's name): cut an input longer than the model embeds instead of refusing it.</summary>
    public bool? Truncate { get; set; }
}
