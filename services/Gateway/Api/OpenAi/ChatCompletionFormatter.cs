using System.Text.Json;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Api.OpenAi;

/// <summary>
/// Shapes <c>/v1/chat/completions</c> output: <c>chat.completion</c>, or <c>chat.completion.chunk</c> events. With
/// <paramref name="logprobs"/> (the request said <c>logprobs: true</c>) the choice's <c>logprobs</c> carries the
/// content's tokens, and each streamed content chunk those of its delta.
/// </summary>
internal sealed class ChatCompletionFormatter(string id, long created, string model, bool logprobs = false) : ICompletionFormatter
{
    public const string IdPrefix = "chatcmpl-";

    public byte[] Complete(string text, string finishReason, OpenAiUsage usage, OpenAiCost? cost = null,
        IReadOnlyList<TokenLogprob>? logprobs = null, OpenAiCascade? cascade = null, IReadOnlyList<ToolCall>? toolCalls = null) =>
        JsonSerializer.SerializeToUtf8Bytes(new ChatCompletionResponse
        {
            Id = id,
            Created = created,
            Model = model,
            Choices =
            [
                new ChatCompletionChoice
                {
                    Message = toolCalls is { Count: > 0 }
                        ? new ChatMessageOutput { Content = null, ToolCalls = [.. toolCalls.Select(Whole)] }
                        : new ChatMessageOutput { Content = text },
                    Logprobs = Logprobs(logprobs),
                    FinishReason = finishReason,
                },
            ],
            Usage = usage,
            SlmCost = cost,
            SlmCascade = cascade,
        }, OpenAiJsonContext.Api.ChatCompletionResponse);

    public byte[]? Opening() => Chunk(new ChatDelta { Role = "assistant", Content = "" }, finishReason: null, cost: null, chunkLogprobs: null, cascade: null);

    public byte[] Piece(string text, IReadOnlyList<TokenLogprob>? logprobs = null) =>
        Chunk(new ChatDelta { Content = text }, finishReason: null, cost: null, Logprobs(logprobs), cascade: null);

    public byte[] ToolCallPieces(IReadOnlyList<ToolCall> pieces) =>
        Chunk(new ChatDelta { ToolCalls = [.. pieces.Select(Piece)] }, finishReason: null, cost: null, chunkLogprobs: null, cascade: null);

    public byte[] Finish(string finishReason, OpenAiCost? cost = null, OpenAiCascade? cascade = null) =>
        Chunk(new ChatDelta(), finishReason, cost, chunkLogprobs: null, cascade);

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

    private static OpenAiToolCall Whole(ToolCall call) => new()
    {
        Id = call.Id,
        Type = "function",
        Function = new OpenAiFunctionCall { Name = call.Name, Arguments = call.Arguments },
    };

    /// <summary>A call's first piece names it (id, type, name); later ones carry only their index and arguments' text.</summary>
    private static OpenAiToolCall Piece(ToolCall piece) => new()
    {
        Index = piece.Index,
        Id = piece.Id.Length > 0 ? piece.Id : null,
        Type = piece.Id.Length > 0 ? "function" : null,
        Function = new OpenAiFunctionCall { Name = piece.Name.Length > 0 ? piece.Name : null, Arguments = piece.Arguments },
    };

    private ChatCompletionLogprobs? Logprobs(IReadOnlyList<TokenLogprob>? entries) => logprobs ? OpenAiLogprobs.Chat(entries) : null;

    private byte[] Chunk(ChatDelta delta, string? finishReason, OpenAiCost? cost, ChatCompletionLogprobs? chunkLogprobs, OpenAiCascade? cascade) =>
        JsonSerializer.SerializeToUtf8Bytes(new ChatCompletionChunk
        {
            Id = id,
            Created = created,
            Model = model,
            Choices = [new ChatCompletionChunkChoice { Delta = delta, Logprobs = chunkLogprobs, FinishReason = finishReason }],
            SlmCost = cost,
            SlmCascade = cascade,
        }, OpenAiJsonContext.Api.ChatCompletionChunk);
}
