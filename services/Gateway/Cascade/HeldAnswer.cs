using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Cascade;

/// <summary>A judged tier's whole answer, held until it is judged: its text chunks as they came, its closing chunk, and how sure it was.</summary>
public sealed record HeldAnswer(CascadeTier Tier, IReadOnlyList<GenerateChunk> Chunks, GenerateChunk Closing, string Text, CompletionConfidence Confidence);
