using System.Text.Json;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>Shapes <c>/v1/chat/completions</c> output: <c>chat.completion</c>, or <c>chat.completion.chunk</c> events.</summary>
internal sealed class ChatCompletionFormatter(string id, long created, string model) : ICompletionFormatter
{
    public const string IdPrefix = "chatcmpl-";

    public byte[] Complete(string text, string finishReason, OpenAiUsage usage, OpenAiCost? cost = null, OpenAiCascade? cascade = null) =>
        JsonSerializer.SerializeToUtf8Bytes(new ChatCompletionResponse
        {
            Id = id,
            Created = created,
            Model = model,
            Choices = [new ChatCompletionChoice { Message = new ChatMessageOutput { Content = text }, FinishReason = finishReason }],
            Usage = usage,
            SlmCost = cost,
            SlmCascade = cascade,
        }, OpenAiJsonContext.Api.ChatCompletionResponse);

    public byte[]? Opening() => Chunk(new ChatDelta { Role = "assistant", Content = "" }, finishReason: null, cost: null, cascade: null);

    public byte[] Piece(string text) => Chunk(new ChatDelta { Content = text }, finishReason: null, cost: null, cascade: null);

    public byte[] Finish(string finishReason, OpenAiCost? cost = null, OpenAiCascade? cascade = null) => Chunk(new ChatDelta(), finishReason, cost, cascade);

    public byte[] Usage(OpenAiUsage usage, OpenAiCost? cost = null, OpenAiCascade? cascade = null) =>
        JsonSerializer.SerializeToUtf8Bytes(new ChatCompletionChunk
        {
            Id = id,
            Created = created,
            Model = model,
            Choices = [],
            Usage = usage,
            SlmCost = cost,
            SlmCascade = cascade,
        }, OpenAiJsonContext.Api.ChatCompletionChunk);

    private byte[] Chunk(ChatDelta delta, string? finishReason, OpenAiCost? cost, OpenAiCascade? cascade) =>
        JsonSerializer.SerializeToUtf8Bytes(new ChatCompletionChunk
        {
            Id = id,
            Created = created,
            Model = model,
            Choices = [new ChatCompletionChunkChoice { Delta = delta, FinishReason = finishReason }],
            SlmCost = cost,
            SlmCascade = cascade,
        }, OpenAiJsonContext.Api.ChatCompletionChunk);
}
