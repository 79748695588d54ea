using Microsoft.Extensions.Logging;

namespace SlmCluster.Inference;

/// <summary>High-rate engine log messages (source-generated).</summary>
internal static partial class EngineLog
{
    [LoggerMessage(1, LogLevel.Information, "Engine started for {ModelName}: context {ContextSize} tokens, batch {BatchSize}, {Threads} threads, queue up to {MaxQueue}")]
    public static partial void Started(ILogger logger, string modelName, int contextSize, int batchSize, int threads, int maxQueue);

    [LoggerMessage(2, LogLevel.Debug, "Generation started: {PromptTokens} prompt tokens, max {MaxTokens} tokens, queued {QueuedMs:F1} ms")]
    public static partial void GenerationStarted(ILogger logger, int promptTokens, int maxTokens, double queuedMs);

    [LoggerMessage(3, LogLevel.Debug, "Generation finished ({FinishReason}): {PromptTokens} prompt + {CompletionTokens} completion tokens, first token {TimeToFirstTokenMs:F1} ms, total {TotalMs:F1} ms")]
    public static partial void GenerationFinished(ILogger logger, GenerationFinishReason finishReason, int promptTokens, int completionTokens, double timeToFirstTokenMs, double totalMs);

    [LoggerMessage(4, LogLevel.Error, "Generation failed")]
    public static partial void GenerationFailed(ILogger logger, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "Request refused: the queue is full ({Waiting} waiting)")]
    public static partial void QueueFull(ILogger logger, int waiting);

    [LoggerMessage(6, LogLevel.Information, "Engine for {ModelName} stopped")]
    public static partial void Stopped(ILogger logger, string modelName);
}
