namespace SlmCluster.Inference;

/// <summary>Settings of an engine's embedding context (used when <see cref="EngineOptions.Serves"/> includes embeddings).</summary>
public sealed class EmbeddingOptions
{
    /// <summary>Largest <see cref="BatchSize"/>: llama.cpp pools at most this many sequences in one decode.</summary>
    public const int MaxSequencesPerDecode = 256;

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
    /// The bound that keeps generation and embeddings fair on one engine thread: while both have work, one embedding
    /// decode (at most <see cref="BatchSize"/> tokens) runs after every this many generation steps. A running
    /// generation then waits at most one embedding decode between two of its tokens, and embeddings get a decode at
    /// least every this many steps. When either side is idle, the other runs back to back.
    /// </summary>
    public int GenerationStepsPerDecode { get; set; } = 1;

    /// <summary>Embedding requests that may wait; more are refused with ResourceExhausted.</summary>
    public int MaxQueue { get; set; } = 64;

    /// <summary>Inputs one request may carry (OpenAI's own limit is 2048).</summary>
    public int MaxInputs { get; set; } = 2048;
}
