using System.Text.Json;

namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>The fields <c>/api/generate</c> and <c>/api/chat</c> share.</summary>
public abstract class OllamaGenerationRequest
{
    /// <summary>The model as Ollama clients name it: <c>name</c> or <c>name:latest</c>.</summary>
    public string? Model { get; set; }

    /// <summary>Absent or true: NDJSON chunks; false: one whole answer.</summary>
    public bool? Stream { get; set; }

    /// <summary><c>"json"</c>, or a JSON Schema object, through the structured-output grammar.</summary>
    public JsonElement? Format { get; set; }

    /// <summary>Sampling and runtime options (<see cref="OllamaOptions"/>).</summary>
    public JsonElement? Options { get; set; }

    /// <summary>How long Ollama would keep the model loaded; accepted: a worker keeps its model for its lifetime.</summary>
    public JsonElement? KeepAlive { get; set; }

    /// <summary>Reasoning output of thinking models: only false (or absent) is served.</summary>
    public JsonElement? Think { get; set; }

    /// <summary>Token log probabilities: refused when asked for, until this API writes them.</summary>
    public bool? Logprobs { get; set; }

    /// <summary>Read to be refused when more than 0.</summary>
    public int? TopLogprobs { get; set; }
}
