namespace SlmCluster.Inference;

/// <summary>Generates text with one loaded model.</summary>
public interface IInferenceEngine : IAsyncDisposable
{
    ModelMetadata Model { get; }

    /// <summary>Requests waiting for the engine.</summary>
    int QueueDepth { get; }

    /// <summary>Requests being decoded now.</summary>
    int ActiveSequences { get; }

    /// <summary>Share of the KV cache's cells that hold tokens (0 to 1): used cells / context size.</summary>
    double KvCacheUsage { get; }

    /// <summary>What grammars (structured output) have done in this engine so far.</summary>
    GrammarStatistics GrammarStatistics => default;

    /// <summary>
    /// Streams the generated text. Errors (<see cref="InferenceException"/>) surface when enumeration starts.
    /// Cancelling <paramref name="cancellationToken"/>, or stopping the enumeration, stops the generation at
    /// the next token; a cancelled stream ends with a final update whose reason is Cancelled.
    /// </summary>
    IAsyncEnumerable<GenerationUpdate> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default);

    /// <summary>The exact prompt text that would be decoded for <paramref name="request"/> (after the chat template).</summary>
    string RenderPrompt(GenerationRequest request);

    /// <summary>How many tokens the prompt of <paramref name="request"/> is, tokenized as a generation would tokenize it.</summary>
    int CountPromptTokens(GenerationRequest request);
}
