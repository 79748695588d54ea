using Microsoft.Extensions.Logging;

namespace SlmCluster.Inference;

/// <summary>Embedding log messages (source-generated).</summary>
internal static partial class EmbeddingLog
{
    [LoggerMessage(101, LogLevel.Information, "Embeddings served: {Pooling} pooling, inputs up to {MaxInputTokens} tokens, up to {MaxSequences} inputs per decode, {TokensPerGenerationToken} embedding tokens per generation token under load")]
    public static partial void Started(ILogger logger, EmbeddingPooling pooling, int maxInputTokens, int maxSequences, double tokensPerGenerationToken);

    [LoggerMessage(102, LogLevel.Debug, "Embedding decode: {Inputs} inputs, {Tokens} tokens")]
    public static partial void Decoded(ILogger logger, int inputs, int tokens);

    [LoggerMessage(103, LogLevel.Error, "Embedding decode failed; its requests are failed, the engine goes on")]
    public static partial void DecodeFailed(ILogger logger, Exception exception);

    [LoggerMessage(104, LogLevel.Warning, "Embedding request refused: the queue is full ({Waiting} waiting)")]
    public static partial void QueueFull(ILogger logger, int waiting);
}
