using System.Text.Json;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>Shapes <c>/v1/completions</c> output: <c>text_completion</c> objects, whole or one per stream event.</summary>
internal sealed class TextCompletionFormatter(string id, long created, string model) : ICompletionFormatter
{
    public const string IdPrefix = "cmpl-";

    public byte[] Complete(string text, string finishReason, OpenAiUsage usage, OpenAiCost? cost = null, OpenAiCascade? cascade = null) =>
        Serialize([new TextCompletionChoice { Text = text, FinishReason = finishReason }], usage, cost, cascade);

    public byte[]? Opening() => null;

    public byte[] Piece(string text) => Serialize([new TextCompletionChoice { Text = text }], usage: null, cost: null, cascade: null);

    public byte[] Finish(string finishReason, OpenAiCost? cost = null, OpenAiCascade? cascade = null) =>
        Serialize([new TextCompletionChoice { Text = "", FinishReason = finishReason }], usage: null, cost, cascade);

    public byte[] Usage(OpenAiUsage usage, OpenAiCost? cost = null, OpenAiCascade? cascade = null) => Serialize([], usage, cost, cascade);

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
