namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>The body of <c>POST /api/show</c>: <c>model</c>, or <c>name</c> as older clients send it.</summary>
public sealed class OllamaShowRequest
{
    public string? Model { get; set; }

    public string? Name { get; set; }
}
