using System.Text.Json.Serialization;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>What went wrong: a message a person can act on, its kind, and the request field at fault.</summary>
public sealed class OpenAiError
{
    public required string Message { get; init; }

    public required string Type { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Param { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Code { get; init; }
}
