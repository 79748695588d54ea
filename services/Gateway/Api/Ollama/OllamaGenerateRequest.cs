using System.Text.Json;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>The body of <c>POST /api/generate</c>. Fields the gateway cannot honour are read so that they are refused, not dropped.</summary>
public sealed class OllamaGenerateRequest : OllamaGenerationRequest
{
    public string? Prompt { get; set; }

    /// <summary>A system prompt for this request; with <see cref="Raw"/> there is no template to put it in.</summary>
    public string? System { get; set; }

    /// <summary>True: the prompt is continued as it is, without the model's chat template.</summary>
    public bool? Raw { get; set; }

    /// <summary>A Go template to render the prompt with: refused unless empty (no Go template engine here).</summary>
    public string? Template { get; set; }

    /// <summary>Text after the insertion point (fill-in-the-middle): refused unless empty.</summary>
    public string? Suffix { get; set; }

    /// <summary>The deprecated token context of an earlier answer: refused unless empty (none is returned).</summary>
    public JsonElement? Context { get; set; }

    /// <summary>Base64 images for multimodal models: refused unless empty.</summary>
    public JsonElement? Images { get; set; }
}
