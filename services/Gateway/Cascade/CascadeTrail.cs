using System.Diagnostics;
using SlmCluster.Protocol.V1;

namespace SlmCluster.Gateway.Cascade;

/// <summary>One request's way through a route: the attempts so far, what they cost, and the record the answer carries.</summary>
public sealed class CascadeTrail(CascadeRoute route, long startedTimestamp)
{
    private readonly List<CascadeAttempt> _attempts = [];

    public CascadeRoute Route => route;

    public IReadOnlyList<CascadeAttempt> Attempts => _attempts;

    /// <summary>What every tier that ran has cost so far.</summary>
    public double CostUsd { get; private set; }

    /// <summary>The request went past its first tier (a lower tier escalated, was skipped or failed).</summary>
    public bool Escalated => _attempts.Count > 1;

    /// <summary>When the caller got the first text (ms since the request began); null until then.</summary>
    public double? FirstTextMs { get; private set; }

    /// <summary>Set once an answer's closing record is made: what the last tier alone would have cost.</summary>
    public double? LastTierCostUsd { get; private set; }

    public double ElapsedMs => Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds;

    public CascadeAttempt Add(CascadeTier tier, string outcome, CompletionConfidence confidence, Usage? usage, double costUsd, double totalMs)
    {
        var attempt = new CascadeAttempt
        {
            Tier = tier.Number,
            TierName = tier.Name,
            Model = tier.ServedModel,
            Outcome = outcome,
            MeanLogprob = confidence.MeanLogprob,
            MinLogprob = confidence.MinLogprob,
            CostUsd = costUsd,
            PromptTokens = usage?.PromptTokens ?? 0,
            CompletionTokens = usage?.CompletionTokens ?? 0,
            TotalMs = totalMs,
        };
        _attempts.Add(attempt);
        CostUsd += costUsd;
        return attempt;
    }

    public void TextSent() => FirstTextMs ??= ElapsedMs;

    /// <summary>
    /// The answer's closing <see cref="Served"/>: the answering tier's worker and model, the whole request's cost and
    /// times, and the cascade record.
    /// </summary>
    /// <param name="tierServed">What the answering tier's closing chunk said.</param>
    /// <param name="confidence">The answering tier's confidence when it was judged; <see cref="CompletionConfidence.None"/> when not.</param>
    public Served Close(Served? tierServed, CascadeTier answering, string reason, CompletionConfidence confidence, double lastTierCostUsd)
    {
        LastTierCostUsd = lastTierCostUsd;
        var served = tierServed?.Clone() ?? new Served { Model = answering.ServedModel };
        var elapsed = ElapsedMs;
        served.CostUsd = CostUsd;
        served.TimeToFirstTokenMs = FirstTextMs ?? elapsed;
        served.TotalMs = elapsed;
        served.Cascade = new CascadeServed
        {
            Route = route.Name,
            Tier = answering.Number,
            TierName = answering.Name,
            Model = answering.ServedModel,
            MeanLogprob = confidence.MeanLogprob,
            MinLogprob = confidence.MinLogprob,
            Escalated = Escalated,
            Reason = reason,
            LastTierCostUsd = lastTierCostUsd,
            Attempts = { _attempts.Select(a => a.Clone()) },
        };
        return served;
    }
}
