using System.Diagnostics.Metrics;
using SlmCluster.Evaluation;
using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Shadows;

namespace SlmCluster.Gateway.Observability;

/// <summary>
/// The shadow comparison's instruments, on the gateway's meter and so on <c>/metrics</c>: each scored pair's agreement
/// by route (the shadowed route or model), tier (the cascade tier that answered, <c>model</c> for a plain model), model
/// (the one that answered) and metric (<c>slm_shadow_agreement{route,tier,model,metric}</c>, a histogram in [0, 1]);
/// shadows by outcome (<c>slm_shadow_requests_total{route,outcome}</c>: started, scored, failed, shed_cap, shed_load);
/// and what the references cost, apart from serving (<c>slm_shadow_cost_usd_total{route,reference}</c>). Each is also
/// added to <see cref="ShadowStats"/> for the dashboard.
/// </summary>
public sealed class ShadowMetrics
{
    public const string Started = "started";
    public const string Scored = "scored";
    public const string Failed = "failed";
    public const string ShedCap = "shed_cap";
    public const string ShedLoad = "shed_load";

    /// <summary>The tier label of a plain model's answer (no cascade).</summary>
    public const string ModelTier = "model";

    public static IReadOnlyList<string> Outcomes { get; } = [Started, Scored, Failed, ShedCap, ShedLoad];

    private static readonly double[] AgreementBuckets = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1];

    private readonly ShadowStats _stats;
    private readonly Histogram<double> _agreement;
    private readonly Counter<long> _shadows;
    private readonly Counter<double> _cost;

    public ShadowMetrics(IMeterFactory meterFactory, ShadowTargets targets, CascadeRoutes routes, ShadowStats stats,
        ServiceDefaults.Metrics.PrometheusMeterBridge bridge)
    {
        _stats = stats;
        var meter = meterFactory.Create(GatewayMetrics.MeterName);
        _agreement = meter.CreateHistogram<double>("slm.shadow.agreement", "{score}",
            "How far sampled answers agree with the reference's, from 0 to 1, by route, answering tier and model, and metric",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = AgreementBuckets });
        _shadows = meter.CreateCounter<long>("slm.shadow.requests", "{request}",
            "Shadow comparisons by route and outcome: started, scored, failed, shed_cap (over a cap), shed_load (the gateway was busy)");
        _cost = meter.CreateCounter<double>("slm.shadow.cost", "USD",
            "What the references' answers to shadowed requests cost: the price of knowing, apart from serving");

        // Every series exists from the start at 0, so that rates and the drift alert see the first event.
        foreach (var target in targets.All)
        {
            var route = new KeyValuePair<string, object?>("route", target.Name);
            foreach (var outcome in Outcomes)
            {
                _shadows.Add(0, route, new("outcome", outcome));
            }

            _cost.Add(0, route, new("reference", target.Reference));
            var answering = routes.Find(target.Name) is { } cascade
                ? cascade.Tiers.Select(t => (t.Name, t.ServedModel))
                : [(ModelTier, target.Name)];
            foreach (var (tier, model) in answering)
            {
                foreach (var metric in (string[])[AgreementMetrics.ExactMatch, AgreementMetrics.F1, AgreementMetrics.RougeL])
                {
                    bridge.Declare(_agreement, route, new("tier", tier), new("model", model), new("metric", AgreementMetrics.Label(metric)));
                }
            }
        }
    }

    public void Shadow(ShadowTarget target, string outcome)
    {
        _shadows.Add(1, new KeyValuePair<string, object?>("route", target.Name), new("outcome", outcome));
        _stats.Shadow(target.Name, outcome);
    }

    public void PairScored(ShadowTarget target, string tier, string model, IReadOnlyList<(string Metric, double Value)> scores, double referenceCostUsd)
    {
        var route = new KeyValuePair<string, object?>("route", target.Name);
        foreach (var (metric, value) in scores)
        {
            _agreement.Record(value, route, new("tier", tier), new("model", model), new("metric", AgreementMetrics.Label(metric)));
        }

        _shadows.Add(1, route, new("outcome", Scored));
        _cost.Add(referenceCostUsd, route, new("reference", target.Reference));
        _stats.PairScored(target.Name, tier, model, scores, referenceCostUsd);
    }

    /// <summary>A shadow that failed still cost what its reference charged for what it did answer.</summary>
    public void ShadowFailed(ShadowTarget target, double referenceCostUsd)
    {
        Shadow(target, Failed);
        if (referenceCostUsd > 0)
        {
            _cost.Add(referenceCostUsd, new KeyValuePair<string, object?>("route", target.Name), new("reference", target.Reference));
        }
    }
}
