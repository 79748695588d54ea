namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>The assistant's message in a whole chat completion.</summary>
public sealed class ChatMessageOutput
{
    public string Role => "assistant";

    public required string Content { get; init; }
}
