using System.Text.Json;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>Shapes <c>/v1/completions</c> output: <c>text_completion</c> objects, whole or one per stream event.</summary>
internal sealed class TextCompletionFormatter(string id, long created, string model) : ICompletionFormatter
{
    public const string IdPrefix = "cmpl-";

    public byte[] Complete(string text, string finishReason, OpenAiUsage usage) =>
        Serialize([new TextCompletionChoice { Text = text, FinishReason = finishReason }], usage);

    public byte[]? Opening() => null;

    public byte[] Piece(string text) => Serialize([new TextCompletionChoice { Text = text }], usage: null);

    public byte[] Finish(string finishReason) => Serialize([new TextCompletionChoice { Text = "", FinishReason = finishReason }], usage: null);

    public byte[] Usage(OpenAiUsage usage) => Serialize([], usage);

    private byte[] Serialize(IReadOnlyList<TextCompletionChoice> choices, OpenAiUsage? usage) =>
        JsonSerializer.SerializeToUtf8Bytes(new TextCompletionResponse
        {
            Id = id,
            Created = created,
            Model = model,
            Choices = choices,
            Usage = usage,
        }, OpenAiJsonContext.Api.TextCompletionResponse);
}
