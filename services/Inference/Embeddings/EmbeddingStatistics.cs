namespace SlmCluster.Inference;

/// <summary>What an engine's embedding side has decoded since it started: running totals, for tests and benchmarks.</summary>
/// <param name="Decodes">Embedding decodes.</param>
/// <param name="Tokens">Input tokens those decodes held.</param>
/// <param name="SharedDecodes">Decodes made while generation had work too, each paid for by the budget its steps earned.</param>
/// <param name="SharedTokens">Input tokens of the shared decodes.</param>
/// <param name="GenerationTokensShared">Tokens generation decoded in steps while embeddings waited: what earned the budget.</param>
public readonly record struct EmbeddingStatistics(long Decodes, long Tokens, long SharedDecodes, long SharedTokens, long GenerationTokensShared);
