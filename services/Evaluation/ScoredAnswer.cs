namespace SlmCluster.Evaluation;

/// <summary>One side of a pair as the scores read it: its text, its function calls, and its embedding when one was made.</summary>
public sealed record ScoredAnswer(string Text, IReadOnlyList<ToolCallAnswer> ToolCalls, ReadOnlyMemory<float>? Embedding = null)
{
    public static ScoredAnswer OfText(string text) => new(text, []);
}
