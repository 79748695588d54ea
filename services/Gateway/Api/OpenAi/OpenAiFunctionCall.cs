namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>The function a tool call calls, and its arguments as JSON text.</summary>
public sealed class OpenAiFunctionCall
{
    public string? Name { get; init; }

    public string? Arguments { get; init; }
}
