namespace SlmCluster.Gateway.Api.Ollama;

/// <summary>An Ollama API request the gateway refuses before it reaches the shared path: 400, or the status given.</summary>
public sealed class InvalidOllamaRequestException(string message, int status = StatusCodes.Status400BadRequest) : Exception(message)
{
    public int Status { get; } = status;
}
