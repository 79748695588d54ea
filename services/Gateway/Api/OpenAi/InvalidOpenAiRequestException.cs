namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>An OpenAI request the gateway refuses before it reaches the shared path: 400, or the status given.</summary>
public sealed class InvalidOpenAiRequestException(string message, string? param = null, int status = StatusCodes.Status400BadRequest, string? code = null)
    : Exception(message)
{
    /// <summary>The request field at fault, as OpenAI names it (<c>messages[2].role</c>), or null.</summary>
    public string? Param { get; } = param;

    public int Status { get; } = status;

    public string? Code { get; } = code;
}
