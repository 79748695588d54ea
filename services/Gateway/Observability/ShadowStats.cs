using SlmCluster.Evaluation;
using SlmCluster.Gateway.Shadows;

namespace SlmCluster.Gateway.Observability;

/// <summary>Running totals of the shadow comparison since the gateway started, per target and per answering tier and model: the dashboard's view.</summary>
public sealed class ShadowStats(ShadowTargets targets)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TargetTotals> _targets =
        targets.All.ToDictionary(t => t.Name, t => new TargetTotals(t), StringComparer.Ordinal);

    public void Shadow(string target, string outcome)
    {
        lock (_lock)
        {
            if (_targets.TryGetValue(target, out var totals))
            {
                totals.Outcomes[outcome] = totals.Outcomes.GetValueOrDefault(outcome) + 1;
            }
        }
    }

    public void PairScored(string target, string tier, string model, IReadOnlyList<(string Metric, double Value)> scores, double referenceCostUsd)
    {
        lock (_lock)
        {
            if (!_targets.TryGetValue(target, out var totals))
            {
                return;
            }

            if (!totals.Pairs.TryGetValue((tier, model), out var pairs))
            {
                totals.Pairs[(tier, model)] = pairs = new PairTotals();
            }

            pairs.Count++;
            foreach (var (metric, value) in scores)
            {
                var (sum, count) = pairs.Scores.GetValueOrDefault(metric);
                pairs.Scores[metric] = (sum + value, count + 1);
            }

            totals.ReferenceCostUsd += referenceCostUsd;
        }
    }

    public IReadOnlyList<ShadowTargetTotals> Snapshot()
    {
        lock (_lock)
        {
            return _targets.Values.OrderBy(t => t.Target.Name, StringComparer.Ordinal).Select(t => new ShadowTargetTotals(
                Route: t.Target.Name,
                Reference: t.Target.Reference,
                Rate: t.Target.Rate,
                Started: t.Outcomes.GetValueOrDefault(ShadowMetrics.Started),
                Scored: t.Outcomes.GetValueOrDefault(ShadowMetrics.Scored),
                Failed: t.Outcomes.GetValueOrDefault(ShadowMetrics.Failed),
                Shed: t.Outcomes.GetValueOrDefault(ShadowMetrics.ShedCap) + t.Outcomes.GetValueOrDefault(ShadowMetrics.ShedLoad),
                ReferenceCostUsd: t.ReferenceCostUsd,
                Agreement: Means(t.Pairs.Values.SelectMany(p => p.Scores)),
                Tiers: t.Pairs.OrderBy(p => p.Key.Tier, StringComparer.Ordinal).Select(p => new ShadowTierTotals(
                    Tier: p.Key.Tier,
                    Model: p.Key.Model,
                    Pairs: p.Value.Count,
                    Agreement: Means(p.Value.Scores))).ToArray())).ToArray();
        }
    }

    /// <summary>The mean of each metric, keyed by its label (<c>f1</c>, <c>rouge_l</c>).</summary>
    private static Dictionary<string, double> Means(IEnumerable<KeyValuePair<string, (double Sum, long Count)>> scores) => scores
        .GroupBy(s => s.Key)
        .ToDictionary(g => AgreementMetrics.Label(g.Key), g => g.Sum(s => s.Value.Sum) / Math.Max(1, g.Sum(s => s.Value.Count)));

    private sealed class TargetTotals(ShadowTarget target)
    {
        public ShadowTarget Target { get; } = target;

        public Dictionary<string, long> Outcomes { get; } = new(StringComparer.Ordinal);

        public Dictionary<(string Tier, string Model), PairTotals> Pairs { get; } = [];

        public double ReferenceCostUsd { get; set; }
    }

    private sealed class PairTotals
    {
        public long Count { get; set; }

        public Dictionary<string, (double Sum, long Count)> Scores { get; } = new(StringComparer.Ordinal);
    }
}
