namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>What a streamed chat chunk adds: the role first, then content; empty in the finishing chunk.</summary>
public sealed class ChatDelta
{
    public string? Role { get; init; }

    public string? Content { get; init; }
}
