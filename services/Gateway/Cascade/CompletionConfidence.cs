namespace SlmCluster.Gateway.Cascade;

/// <summary>How sure a model was of the text it generated: the mean and the lowest natural-log probability of its tokens.</summary>
/// <param name="Tokens">Tokens the figures are over; 0 when none were reported (then there is nothing to judge by).</param>
public readonly record struct CompletionConfidence(int Tokens, double MeanLogprob, double MinLogprob)
{
    public static readonly CompletionConfidence None = new(0, 0, 0);

    /// <summary>What a logprob that is not a finite number counts as: a token the model found all but impossible.</summary>
    public const double FloorLogprob = -1000;

    /// <summary>The figures over <paramref name="logprobs"/>; a value that is not a finite number counts as <see cref="FloorLogprob"/>.</summary>
    public static CompletionConfidence Of(IEnumerable<double> logprobs)
    {
        var count = 0;
        var sum = 0.0;
        var min = double.PositiveInfinity;
        foreach (var raw in logprobs)
        {
            var value = double.IsFinite(raw) ? Math.Max(raw, FloorLogprob) : FloorLogprob;
            count++;
            sum += value;
            min = Math.Min(min, value);
        }

        return count == 0 ? None : new CompletionConfidence(count, sum / count, min);
    }

    /// <summary>The figures over the tokens of a completion as the wire carries them.</summary>
    public static CompletionConfidence Of(IEnumerable<Protocol.V1.TokenLogprob> tokens) => Of(tokens.Select(t => (double)t.Logprob));

    /// <summary>The figures over the tokens of a completion as a worker grain reports them.</summary>
    public static CompletionConfidence Of(IEnumerable<Contracts.TokenLogprob> tokens) => Of(tokens.Select(t => (double)t.Logprob));
}
