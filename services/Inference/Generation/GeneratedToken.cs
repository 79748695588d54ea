namespace SlmCluster.Inference;

/// <summary>
/// A generated token and how likely the model found it: the natural log of its probability under the model's own
/// distribution at that position (the log-softmax of the raw logits, before the sampler's repeat penalty,
/// temperature, top-k, top-p or min-p), as OpenAI reports logprobs.
/// </summary>
/// <param name="Id">The token id.</param>
/// <param name="Text">The token's text as it appears in the output, decoded alone: a token that holds only part of a
/// multi-byte character shows U+FFFD for it; control tokens have no text.</param>
/// <param name="Bytes">The token's exact UTF-8 bytes (owned by this entry).</param>
/// <param name="Logprob">ln p(token).</param>
/// <param name="TopAlternatives">The most likely tokens at that position, best first (ties: lower id first), when
/// the request asked for <see cref="GenerationRequest.TopLogprobs"/>; else empty.</param>
public sealed record GeneratedToken(int Id, string Text, byte[] Bytes, float Logprob, IReadOnlyList<TokenAlternative> TopAlternatives);
