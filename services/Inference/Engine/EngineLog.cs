using Microsoft.Extensions.Logging;

namespace SlmCluster.Inference;

/// <summary>High-rate engine log messages (source-generated).</summary>
internal static partial class EngineLog
{
    [LoggerMessage(1, LogLevel.Information, "Engine started for {ModelName}: {Slots} slots, KV cache {KvCells} tokens (up to {SequenceLimit} per request), batch {BatchSize}, {Threads} threads, queue up to {MaxQueue}")]
    public static partial void Started(ILogger logger, string modelName, int slots, int kvCells, int sequenceLimit, int batchSize, int threads, int maxQueue);

    [LoggerMessage(2, LogLevel.Debug, "Generation started in slot {Slot}: {PromptTokens} prompt tokens ({ReusedPromptTokens} reused), max {MaxTokens} tokens, queued {QueuedMs:F1} ms")]
    public static partial void GenerationStarted(ILogger logger, int slot, int promptTokens, int reusedPromptTokens, int maxTokens, double queuedMs);

    [LoggerMessage(3, LogLevel.Debug, "Generation finished ({FinishReason}): {PromptTokens} prompt ({ReusedPromptTokens} reused) + {CompletionTokens} completion tokens, first token {TimeToFirstTokenMs:F1} ms, total {TotalMs:F1} ms")]
    public static partial void GenerationFinished(ILogger logger, GenerationFinishReason finishReason, int promptTokens, int reusedPromptTokens, int completionTokens, double timeToFirstTokenMs, double totalMs);

    [LoggerMessage(4, LogLevel.Error, "Generation failed")]
    public static partial void GenerationFailed(ILogger logger, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "Request refused: the queue is full ({Waiting} waiting)")]
    public static partial void QueueFull(ILogger logger, int waiting);

    [LoggerMessage(6, LogLevel.Information, "Engine for {ModelName} stopped")]
    public static partial void Stopped(ILogger logger, string modelName);

    [LoggerMessage(7, LogLevel.Debug, "Prefix reuse: {ReusedPromptTokens} of {PromptTokens} prompt tokens already cached in slot {Slot}")]
    public static partial void PrefixReused(ILogger logger, int reusedPromptTokens, int promptTokens, int slot);

    [LoggerMessage(8, LogLevel.Debug, "Evicted the cached {Tokens} tokens of idle slot {Slot} to make room")]
    public static partial void CacheEvicted(ILogger logger, int slot, int tokens);

    [LoggerMessage(9, LogLevel.Warning, "KV cache full ({KvCells} tokens, {Running} running requests): refusing the newest request, in slot {Slot}")]
    public static partial void KvCacheFull(ILogger logger, int slot, int kvCells, int running);

    [LoggerMessage(10, LogLevel.Warning, "llama_decode found no KV room for {BatchTokens} tokens ({UsedCells} of {KvCells} cells in use); freeing cells and retrying")]
    public static partial void NoKvSlot(ILogger logger, int batchTokens, int usedCells, int kvCells);

    [LoggerMessage(11, LogLevel.Error, "Engine step failed; the running requests are failed, the engine goes on")]
    public static partial void StepFailed(ILogger logger, Exception exception);

    [LoggerMessage(12, LogLevel.Debug, "Grammar in slot {Slot}: {CompletionTokens} tokens, {Resamples} masked the whole vocabulary, {GrammarMs:F2} ms in the grammar")]
    public static partial void GrammarFinished(ILogger logger, int slot, int completionTokens, int resamples, double grammarMs);

    [LoggerMessage(13, LogLevel.Warning, "The grammar in slot {Slot} allows no token after {CompletionTokens} generated tokens; the request fails")]
    public static partial void GrammarDeadEnd(ILogger logger, int slot, int completionTokens);

    [LoggerMessage(14, LogLevel.Error, "Adapter {AdapterName} refused; the base model serves without it: {Reason}")]
    public static partial void AdapterRefused(ILogger logger, string adapterName, string reason);

    [LoggerMessage(15, LogLevel.Trace, "Adapter set {AdapterSet} from step {Step}")]
    public static partial void AdapterSetChanged(ILogger logger, string adapterSet, long step);
}
