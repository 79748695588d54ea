namespace SlmCluster.Evaluation;

/// <summary>
/// Every score that applies to a pair of answers: the text scores always; JSON agreement when the answer was asked
/// for structure; tool-call agreement when either side called a function; embedding cosine when both were embedded.
/// </summary>
public static class AnswerAgreement
{
    /// <param name="structured">The request asked for JSON (a response format), so its answer is compared as JSON too.</param>
    public static IReadOnlyList<(string Metric, double Value)> Score(ScoredAnswer answer, ScoredAnswer reference, bool structured)
    {
        var (mine, theirs) = (AnswerText.Tokens(answer.Text), AnswerText.Tokens(reference.Text));
        var scores = new List<(string, double)>(6)
        {
            (AgreementMetrics.ExactMatch, string.Join(' ', mine) == string.Join(' ', theirs) ? 1 : 0),
            (AgreementMetrics.F1, TextAgreement.F1(mine, theirs)),
            (AgreementMetrics.RougeL, TextAgreement.RougeL(mine, theirs)),
        };
        if (structured && JsonAgreement.Score(answer.Text, reference.Text) is { } json)
        {
            scores.Add((AgreementMetrics.JsonAgreement, json));
        }

        if (answer.ToolCalls.Count > 0 || reference.ToolCalls.Count > 0)
        {
            scores.Add((AgreementMetrics.ToolCallAgreement, ToolCallAgreement.Score(answer.ToolCalls, reference.ToolCalls)));
        }

        if (answer.Embedding is { } a && reference.Embedding is { } b)
        {
            scores.Add((AgreementMetrics.EmbeddingCosine, EmbeddingCosine.Score(a.Span, b.Span)));
        }

        return scores;
    }
}
