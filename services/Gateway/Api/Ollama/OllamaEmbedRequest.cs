using System.Text.Json;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>
/// The body of <c>POST /api/embed</c> (<c>input</c>: a string or strings) and of the older <c>POST /api/embeddings</c>
/// (<c>prompt</c>: one string).
/// </summary>
public sealed class OllamaEmbedRequest
{
    public string? Model { get; set; }

    public JsonElement? Input { get; set; }

    public string? Prompt { get; set; }

    /// <summary>Ollama's default is true: an input longer than the model embeds is cut to its first tokens.</summary>
    public bool? Truncate { get; set; }

    public int? Dimensions { get; set; }

    public JsonElement? Options { get; set; }

    /// <summary>Accepted: models stay loaded as long as their workers run.</summary>
    public JsonElement? KeepAlive { get; set; }
}
