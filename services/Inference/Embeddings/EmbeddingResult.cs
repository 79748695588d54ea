namespace SlmCluster.Inference;

/// <summary>The vectors of an <see cref="EmbeddingRequest"/>, each of unit length, in input order.</summary>
/// <param name="Vectors">One per input.</param>
/// <param name="PromptTokens">Tokens decoded for all inputs together (after truncation).</param>
/// <param name="TruncatedInputs">Inputs that were cut to the longest the engine takes.</param>
/// <param name="Total">From arrival to the last vector.</param>
/// <param name="InputTokens">Tokens of each input (after truncation), in order.</param>
public sealed record EmbeddingResult(IReadOnlyList<float[]> Vectors, int PromptTokens, int TruncatedInputs, TimeSpan Total, IReadOnlyList<int> InputTokens);
