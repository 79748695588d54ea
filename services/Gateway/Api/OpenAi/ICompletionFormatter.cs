using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>Shapes one request's output as its endpoint defines it, whole or as stream events (UTF-8 JSON).</summary>
internal interface ICompletionFormatter
{
    /// <summary>The whole completion, for a request that did not ask to stream (with its token logprobs when it asked).</summary>
    byte[] Complete(string text, string finishReason, OpenAiUsage usage, OpenAiCost? cost = null,
        IReadOnlyList<TokenLogprob>? logprobs = null, OpenAiCascade? cascade = null, IReadOnlyList<ToolCall>? toolCalls = null);

    /// <summary>The event that opens a stream (the chat role), or null when the endpoint has none.</summary>
    byte[]? Opening();

    /// <summary>An event carrying the next piece of text (and, when the request asked, the logprobs of its tokens).</summary>
    byte[] Piece(string text, IReadOnlyList<TokenLogprob>? logprobs = null);

    /// <summary>An event carrying pieces of tool calls (the chat endpoint's only: tools are refused on the others).</summary>
    byte[] ToolCallPieces(IReadOnlyList<ToolCall> pieces);

    /// <summary>The event that says why generation stopped.</summary>
    byte[] Finish(string finishReason, OpenAiCost? cost = null, OpenAiCascade? cascade = null);

    /// <summary>The event with no choices and the usage (<c>stream_options.include_usage</c>).</summary>
    byte[] Usage(OpenAiUsage usage, OpenAiCost? cost = null, OpenAiCascade? cascade = null);
}
