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

    /// <summary>The LoRA adapters requests may choose by name (<see cref="GenerationRequest.Adapters"/>).</summary>
    IReadOnlyList<LoraAdapter> Adapters => [];

    /// <summary>Declared adapters refused at start, with the reason.</summary>
    IReadOnlyList<AdapterLoadFailure> AdapterFailures => [];

    /// <summary>What grammars (structured output) have done in this engine so far.</summary>
    GrammarStatistics GrammarStatistics => default;

    /// <summary>
    /// Streams the generated text. Errors (<see cref="InferenceException"/>) surface when enumeration starts.
    /// Cancelling <paramref name="cancellationToken"/>, or stopping the enumeration, stops the generation at
    /// the next token; a cancelled stream ends with a final update whose reason is Cancelled.
    /// </summary>
    IAsyncEnumerable<GenerationUpdate> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default);

    /// <summary>What this engine serves: generation, embeddings, or both.</summary>
    ServedTasks Serves { get; }

    /// <summary>Values in a full embedding vector (the model's hidden size).</summary>
    int EmbeddingDimensions { get; }

    /// <summary>Longest embedding input in tokens; 0 when the engine serves no embeddings.</summary>
    int MaxEmbeddingInputTokens { get; }

    /// <summary>How the embedding vectors are pooled (the model's own resolved); null when the engine serves no embeddings.</summary>
    EmbeddingPooling? EmbeddingPooling => null;

    /// <summary>
    /// One unit-length vector per input, in order; the inputs are pooled beside other requests' in the engine's
    /// embedding decodes. Cancelling <paramref name="cancellationToken"/> drops the inputs not decoded yet.
    /// </summary>
    /// <exception cref="InferenceException">InvalidArgument for a bad request or an engine that serves no embeddings; ResourceExhausted when the queue is full.</exception>
    Task<EmbeddingResult> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default);

    /// <summary>The exact prompt text that would be decoded for <paramref name="request"/> (after the chat template).</summary>
    string RenderPrompt(GenerationRequest request);

    /// <summary>How many tokens the prompt of <paramref name="request"/> is, tokenized as a generation would tokenize it.</summary>
    int CountPromptTokens(GenerationRequest request);
}
