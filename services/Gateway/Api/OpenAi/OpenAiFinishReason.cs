using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>OpenAI's <c>finish_reason</c> for the wire contract's.</summary>
internal static class OpenAiFinishReason
{
    public static string From(FinishReason reason) => reason switch
    {
        FinishReason.Length => "length",
        FinishReason.ToolCalls => "tool_calls",
        _ => "stop",
    };
}
