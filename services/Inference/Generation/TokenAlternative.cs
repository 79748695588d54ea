namespace SlmCluster.Inference;

/// <summary>A token the model considered at a position, with the natural log of its probability there.</summary>
/// <param name="Id">The token id.</param>
/// <param name="Text">Its text decoded alone (lossy for part of a multi-byte character; control tokens have none).</param>
/// <param name="Bytes">Its exact UTF-8 bytes (owned by this entry).</param>
/// <param name="Logprob">ln p(token) under the model's distribution before sampling transforms.</param>
public sealed record TokenAlternative(int Id, string Text, byte[] Bytes, float Logprob);
