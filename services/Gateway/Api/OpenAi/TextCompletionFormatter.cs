using System.Text.Json;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>Shapes <c>/v1/completions</c> output: <c>text_completion</c> objects, whole or one per stream event.</summary>
internal sealed class TextCompletionFormatter(string id, long created, string model) : ICompletionFormatter
{
    public const string IdPrefix = "cmpl-";

    public byte[] Complete(string text, string finishReason, OpenAiUsage usage, OpenAiCost? cost = null) =>
        Serialize([new TextCompletionChoice { Text = text, FinishReason = finishReason }], usage, cost);

    public byte[]? Opening() => null;

    public byte[] Piece(string text) => Serialize([new TextCompletionChoice { Text = text }], usage: null, cost: null);

    public byte[] Finish(string finishReason, OpenAiCost? cost = null) =>
        Serialize([new TextCompletionChoice { Text = "", FinishReason = finishReason }], usage: null, cost);

    public byte[] Usage(OpenAiUsage usage, OpenAiCost? cost = null) => Serialize([], usage, cost);

    private byte[] Serialize(IReadOnlyList<TextCompletionChoice> choices, OpenAiUsage? usage, OpenAiCost? cost) =>
        JsonSerializer.SerializeToUtf8Bytes(new TextCompletionResponse
        {
            Id = id,
            Created = created,
            Model = model,
            Choices = choices,
            Usage = usage,
            SlmCost = cost,
        }, OpenAiJsonContext.Api.TextCompletionResponse);
}
