namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>What a streamed chat chunk adds: the role first, then content or tool call pieces; empty in the finishing chunk.</summary>
public sealed class ChatDelta
{
    public string? Role { get; init; }

    public string? Content { get; init; }

    public List<OpenAiToolCall>? ToolCalls { get; init; }
}
