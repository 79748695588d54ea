namespace SlmCluster.Inference;

/// <summary>
/// A piece of generated text. Pieces arrive in order; the last update, and only it, carries
/// <see cref="Final"/> (its <see cref="Text"/> may be empty).
/// </summary>
public sealed record GenerationUpdate(string Text, GenerationResult? Final);
