namespace SlmCluster.Inference;

/// <summary>How an embedding context pools a sequence's token states into one vector (fixed per context in llama.cpp).</summary>
public enum EmbeddingPooling
{
    /// <summary>
    /// The model's own pooling (its GGUF <c>pooling_type</c>); a model that declares none (a generation model) is
    /// pooled by <see cref="Mean"/>.
    /// </summary>
    Model = 0,

    /// <summary>The mean of every token's state.</summary>
    Mean = 1,

    /// <summary>The first token's state (BERT's CLS).</summary>
    Cls = 2,

    /// <summary>The last token's state (decoder models trained for embeddings).</summary>
    Last = 3,
}
