namespace SlmCluster.Contracts;

/// <summary>
/// The one model instance a worker silo serves. Its key is the silo's address (<see cref="WorkerGrainKey"/>): the grain
/// lives on that silo for the silo's life and is never placed anywhere else.
/// </summary>
[Alias("slm.IModelWorkerGrain")]
public interface IModelWorkerGrain : IGrainWithStringKey
{
    /// <summary>
    /// Streams a generation: text pieces, then one closing piece with usage, timings and cost. Cancelling the token
    /// (or abandoning the enumeration) stops the generation at its next token.
    /// </summary>
    /// <exception cref="ModelWorkerException">The request is invalid, the worker is full or draining.</exception>
    [Alias("Generate")]
    IAsyncEnumerable<GenerationPiece> Generate(GenerationCall call, CancellationToken cancellationToken = default);

    /// <summary>
    /// How many tokens the call's prompt is for this worker's model, as a generation would decode it (the chat template
    /// applied, special tokens added): cheap, nothing is generated. The gateway's cascade routes use it to send long
    /// prompts past a tier.
    /// </summary>
    /// <exception cref="ModelWorkerException">The call names another model, or has neither a prompt nor messages.</exception>
    [Alias("CountPromptTokens")]
    Task<int> CountPromptTokens(GenerationCall call);

    /// <summary>
    /// Embeds the call's inputs with this worker's model (one unit-length vector each); its inputs are pooled beside
    /// other calls' in the engine's embedding decodes.
    /// </summary>
    /// <exception cref="ModelWorkerException">Another model, a worker that serves no embeddings, bad input, full or draining.</exception>
    [Alias("Embed")]
    Task<EmbeddingAnswer> Embed(EmbeddingCall call, CancellationToken cancellationToken = default);

    /// <summary>What the worker serves and how loaded it is, for routing.</summary>
    [Alias("GetStatus")]
    Task<WorkerStatus> GetStatus();
}
