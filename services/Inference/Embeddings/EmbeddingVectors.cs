namespace SlmCluster.Inference;

/// <summary>The arithmetic of returned vectors: truncation to the asked dimensions and L2 normalisation.</summary>
public static class EmbeddingVectors
{
    /// <summary>The first <paramref name="dimensions"/> values (all when 0) scaled to unit length; a zero vector stays zero.</summary>
    public static float[] Normalized(ReadOnlySpan<float> pooled, int dimensions)
    {
        ReadOnlySpan<float> kept = dimensions > 0 && dimensions < pooled.Length ? pooled[..dimensions] : pooled;
        double sum = 0;
        foreach (float value in kept)
        {
            sum += (double)value * value;
        }
        var vector = new float[kept.Length];
        double scale = sum > 0 ? 1.0 / Math.Sqrt(sum) : 0;
        for (int i = 0; i < kept.Length; i++)
        {
            vector[i] = (float)(kept[i] * scale);
        }
        return vector;
    }

    /// <summary>Cosine similarity of two vectors of equal length.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"vectors of {a.Length} and {b.Length} dimensions");
        }
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
