namespace SlmCluster.Evaluation;

/// <summary>The cosine of the angle between two answers' embeddings (the same embedding model's): 1 for the same direction.</summary>
public static class EmbeddingCosine
{
    /// <exception cref="ArgumentException">The vectors differ in length (not the same model's), or one is all zeros.</exception>
    public static double Score(ReadOnlySpan<float> answer, ReadOnlySpan<float> reference)
    {
        if (answer.Length != reference.Length || answer.Length == 0)
        {
            throw new ArgumentException($"Embeddings of {answer.Length} and {reference.Length} dimensions cannot be compared; both must come from one embedding model.");
        }

        // In doubles: float sums over a few thousand dimensions lose the digits a near-1 cosine is told apart by.
        double dot = 0, a = 0, b = 0;
        for (var i = 0; i < answer.Length; i++)
        {
            dot += (double)answer[i] * reference[i];
            a += (double)answer[i] * answer[i];
            b += (double)reference[i] * reference[i];
        }

        var norms = Math.Sqrt(a) * Math.Sqrt(b);
        if (norms == 0)
        {
            throw new ArgumentException("An embedding of all zeros has no direction to compare.");
        }

        return Math.Clamp(dot / norms, -1, 1);
    }
}
