namespace SlmCluster.Inference;

/// <summary>Settings of an engine's embedding context (used when <see cref="EngineOptions.Serves"/> includes embeddings).</summary>
public sealed class EmbeddingOptions
{
    /// <summary>Largest <see cref="BatchSize"/>: llama.cpp pools at most this many sequences in one decode.</summary>
    public const int MaxSequencesPerDecode = 256;

    /// <summary>Largest <see cref="TokensPerGenerationToken"/>: beyond it generation would wait a whole batch per step anyway.</summary>
    public const double MaxTokensPerGenerationToken = 1000;

    /// <summary>How token states are pooled into one vector.</summary>
    public EmbeddingPooling Pooling { get; set; } = EmbeddingPooling.Model;

    /// <summary>
    /// Tokens in one embedding decode, from as many inputs (of as many requests) as fit. It is also the longest input:
    /// llama.cpp pools a sequence only within one micro-batch, so an input longer than this (or than the model's
    /// training context) is refused, or cut to it when the request asks (<see cref="EmbeddingRequest.Truncate"/>).
    /// </summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>Inputs pooled in one decode at most (llama.cpp's sequence limit is 256).</summary>
    public int MaxSequences { get; set; } = 64;

    /// <summary>
    /// The token budget that keeps generation and embeddings fair on one engine thread: while both have work, each
    /// generation step earns embeddings this many tokens per token it decoded (its batch: one per running sequence,
    /// plus prompt chunks), up to <see cref="BatchSize"/>, and an embedding decode runs only with what was earned. So
    /// embeddings get about this share of the tokens decoded whatever the load, and a running generation waits at most
    /// one embedding decode of at most <see cref="BatchSize"/> tokens between two of its steps (an input is pooled
    /// whole, so a decode holds at least one). When either side is idle, the other runs back to back.
    /// </summary>
    public double TokensPerGenerationToken { get; set; } = 1;

    /// <summary>Embedding requests that may wait; more are refused with ResourceExhausted.</summary>
    public int MaxQueue { get; set; } = 64;

    /// <summary>Inputs one request may carry (OpenAI's own limit is 2048).</summary>
    public int MaxInputs { get; set; } = 2048;
}
