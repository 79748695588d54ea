namespace SlmCluster.Evaluation;

/// <summary>
/// How far two answers' function calls agree: calls are paired in order, and a pair agrees when it names the same
/// function with the same arguments (<see cref="JsonAgreement"/> of 1: the same keys, equal values, in any key
/// order). The score is the agreeing pairs over the longer list's calls; two answers without calls agree fully.
/// </summary>
public static class ToolCallAgreement
{
    public static double Score(IReadOnlyList<ToolCallAnswer> answer, IReadOnlyList<ToolCallAnswer> reference)
    {
        var longest = Math.Max(answer.Count, reference.Count);
        if (longest == 0)
        {
            return 1;
        }

        var agreeing = 0;
        for (var i = 0; i < Math.Min(answer.Count, reference.Count); i++)
        {
            if (answer[i].Name == reference[i].Name && JsonAgreement.Score(Arguments(answer[i]), Arguments(reference[i])) is null or 1)
            {
                agreeing++;
            }
        }

        return (double)agreeing / longest;
    }

    /// <summary>No arguments at all are the empty object, as a function without parameters is called.</summary>
    private static string Arguments(ToolCallAnswer call) => string.IsNullOrWhiteSpace(call.ArgumentsJson) ? "{}" : call.ArgumentsJson;
}
