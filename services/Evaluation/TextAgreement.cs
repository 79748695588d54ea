namespace SlmCluster.Evaluation;

/// <summary>
/// How far an answer's text agrees with a reference's, over their normalised words (<see cref="AnswerText"/>): exact
/// match, token F1 (the harmonic mean of the shares of common words, counted with multiplicity) and ROUGE-L (the same
/// over their longest common subsequence, which rewards words in the same order). Each is in [0, 1]; two empty texts
/// agree fully, an empty one and another not at all.
/// </summary>
public static class TextAgreement
{
    public static double ExactMatch(string answer, string reference) =>
        AnswerText.Normalize(answer) == AnswerText.Normalize(reference) ? 1 : 0;

    public static double F1(string answer, string reference) => F1(AnswerText.Tokens(answer), AnswerText.Tokens(reference));

    public static double F1(IReadOnlyList<string> answer, IReadOnlyList<string> reference)
    {
        if (answer.Count == 0 || reference.Count == 0)
        {
            return answer.Count == reference.Count ? 1 : 0;
        }

        var left = reference.CountBy(w => w, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        var common = 0;
        foreach (var word in answer)
        {
            if (left.TryGetValue(word, out var count) && count > 0)
            {
                left[word] = count - 1;
                common++;
            }
        }

        return FMeasure(common, answer.Count, reference.Count);
    }

    public static double RougeL(string answer, string reference) => RougeL(AnswerText.Tokens(answer), AnswerText.Tokens(reference));

    public static double RougeL(IReadOnlyList<string> answer, IReadOnlyList<string> reference)
    {
        if (answer.Count == 0 || reference.Count == 0)
        {
            return answer.Count == reference.Count ? 1 : 0;
        }

        return FMeasure(LongestCommonSubsequence(answer, reference), answer.Count, reference.Count);
    }

    /// <summary>The length of the longest common subsequence, in two rows of the dynamic programme.</summary>
    public static int LongestCommonSubsequence(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (var i = 1; i <= a.Count; i++)
        {
            for (var j = 1; j <= b.Count; j++)
            {
                current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : Math.Max(previous[j], current[j - 1]);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Count];
    }

    /// <summary>F1 of <paramref name="common"/> units out of an answer's and a reference's.</summary>
    private static double FMeasure(int common, int answerCount, int referenceCount)
    {
        if (common == 0)
        {
            return 0;
        }

        var precision = (double)common / answerCount;
        var recall = (double)common / referenceCount;
        return 2 * precision * recall / (precision + recall);
    }
}
