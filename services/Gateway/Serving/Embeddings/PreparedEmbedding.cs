using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Serving.Embeddings;

/// <summary>An embedding request that passed the rules, with the model it resolved to.</summary>
public sealed record PreparedEmbedding(EmbeddingServingRequest Request, ModelInfo Model);
