using System.Text.Json;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// Shapes <c>/v1/completions</c> output: <c>text_completion</c> objects, whole or one per stream event. With
/// <paramref name="logprobs"/> (the request sent <c>logprobs</c>) each choice with text carries its tokens' logprobs;
/// one formatter serves one completion, so streamed <c>text_offset</c>s count from the completion's start.
/// </summary>
internal sealed class TextCompletionFormatter(string id, long created, string model, bool logprobs = false) : ICompletionFormatter
{
    public const string IdPrefix = "cmpl-";

    private readonly OpenAiLogprobs.TextOffsets _offsets = new();

    public byte[] ToolCallPieces(IReadOnlyList<ToolCall> pieces) =>
        throw new InvalidOperationException("/v1/completions refuses tools, so its answers carry no tool calls.");

    public byte[] Complete(string text, string finishReason, OpenAiUsage usage, OpenAiCost? cost = null,
        IReadOnlyList<TokenLogprob>? logprobs = null, OpenAiCascade? cascade = null, IReadOnlyList<ToolCall>? toolCalls = null) =>
        Serialize([new TextCompletionChoice { Text = text, Logprobs = Logprobs(logprobs), FinishReason = finishReason }], usage, cost, cascade);

    public byte[]? Opening() => null;

    public byte[] Piece(string text, IReadOnlyList<TokenLogprob>? logprobs = null) =>
        Serialize([new TextCompletionChoice { Text = text, Logprobs = Logprobs(logprobs) }], usage: null, cost: null, cascade: null);

    public byte[] Finish(string finishReason, OpenAiCost? cost = null, OpenAiCascade? cascade = null) =>
        Serialize([new TextCompletionChoice { Text = "", FinishReason = finishReason }], usage: null, cost, cascade);

    public byte[] Usage(OpenAiUsage usage, OpenAiCost? cost = null, OpenAiCascade? cascade = null) => Serialize([], usage, cost, cascade);

    private TextCompletionLogprobs? Logprobs(IReadOnlyList<TokenLogprob>? entries) => logprobs ? OpenAiLogprobs.Text(entries, _offsets) : null;

    private byte[] Serialize(IReadOnlyList<TextCompletionChoice> choices, OpenAiUsage? usage, OpenAiCost? cost, OpenAiCascade? cascade) =>
        JsonSerializer.SerializeToUtf8Bytes(new TextCompletionResponse
        {
            Id = id,
            Created = created,
            Model = model,
            Choices = choices,
            Usage = usage,
            SlmCost = cost,
            SlmCascade = cascade,
        }, OpenAiJsonContext.Api.TextCompletionResponse);
}
