using SlmCluster.Evaluation;

namespace SlmCluster.Eval;

/// <summary>One evaluation: every item through the reference and each candidate, one at a time (latencies are not inflated by each other), then scored.</summary>
public sealed class EvalRun(IReadOnlyList<EvalItem> items, int maxTokens, string metric)
{
    public async Task<EvalReport> RunAsync(string setName, GatewayAsker gateway, GatewayAsker referenceAsker, string reference, IReadOnlyList<string> candidates,
        (string Route, string First, string Last)? cascade, double target, TextWriter progress, CancellationToken cancellationToken)
    {
        var references = new List<EvalAnswer>();
        foreach (var item in items)
        {
            references.Add(await referenceAsker.AskAsync(reference, item, maxTokens, logprobs: false, cancellationToken));
        }

        await progress.WriteLineAsync($"reference {reference}: {items.Count} answers");
        var reports = new List<CandidateReport>();
        foreach (var candidate in candidates)
        {
            var answers = new List<EvalAnswer>();
            foreach (var item in items)
            {
                answers.Add(await gateway.AskAsync(candidate, item, maxTokens, logprobs: false, cancellationToken));
            }

            reports.Add(Report(candidate, answers, references));
            await progress.WriteLineAsync($"candidate {candidate}: {items.Count} answers");
        }

        SweepReport? sweep = null;
        if (cascade is var (route, first, last))
        {
            var rows = new List<ThresholdSweep.Row>();
            for (var i = 0; i < items.Count; i++)
            {
                if (references[i].Error is not null)
                {
                    continue;
                }

                var small = await gateway.AskAsync(first, items[i], maxTokens, logprobs: true, cancellationToken);
                var large = await gateway.AskAsync(last, items[i], maxTokens, logprobs: false, cancellationToken);
                rows.Add(new ThresholdSweep.Row(small.MeanLogprob ?? double.NegativeInfinity, small.CostUsd, large.CostUsd,
                    Score(items[i], small, references[i]), Score(items[i], large, references[i])));
            }

            // Fit on one half, check on the other: the threshold chosen on the even rows is applied to the odd ones.
            var points = ThresholdSweep.Sweep(rows);
            var even = rows.Where((_, i) => i % 2 == 0).ToArray();
            var odd = rows.Where((_, i) => i % 2 == 1).ToArray();
            var calibrated = ThresholdSweep.Cheapest(ThresholdSweep.Sweep(even), target);
            sweep = new SweepReport(route, first, last, metric, target, points, ThresholdSweep.Cheapest(points, target),
                calibrated, calibrated is { } chosen ? ThresholdSweep.At(odd, chosen.Threshold) : null);
        }

        return new EvalReport(setName, items.Count, reference, DateTimeOffset.UtcNow, references.Count(r => r.Error is not null),
            references.FirstOrDefault(r => r.Error is not null)?.Error, reports, sweep);
    }

    private CandidateReport Report(string candidate, IReadOnlyList<EvalAnswer> answers, IReadOnlyList<EvalAnswer> references)
    {
        var agreement = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var accuracy = new List<double>();
        var exact = new List<double>();
        for (var i = 0; i < items.Count; i++)
        {
            if (answers[i].Error is not null || references[i].Error is not null)
            {
                continue;
            }

            foreach (var (name, value) in AnswerAgreement.Score(ScoredAnswer.OfText(answers[i].Text), ScoredAnswer.OfText(references[i].Text), items[i].Schema is not null))
            {
                (agreement.TryGetValue(AgreementMetrics.Label(name), out var values) ? values : agreement[AgreementMetrics.Label(name)] = []).Add(value);
            }

            if (items[i].Expected is { } expected)
            {
                accuracy.Add(TextAgreement.F1(answers[i].Text, expected));
                exact.Add(TextAgreement.ExactMatch(answers[i].Text, expected));
            }
        }

        var latencies = answers.Select(a => a.LatencyMs).Order().ToArray();
        return new CandidateReport(
            candidate,
            answers.Count,
            answers.Count(a => a.Error is not null),
            answers.FirstOrDefault(a => a.Error is not null)?.Error,
            accuracy.Count > 0 ? accuracy.Average() : null,
            exact.Count > 0 ? exact.Average() : null,
            agreement.ToDictionary(a => a.Key, a => a.Value.Average()),
            answers.Sum(a => a.CostUsd),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            answers.Count == 0 ? 0 : (double)answers.Count(a => a.Escalated) / answers.Count);
    }

    /// <summary>An answer's agreement with the reference by the sweep's metric; 0 when either failed.</summary>
    private double Score(EvalItem item, EvalAnswer answer, EvalAnswer reference) =>
        answer.Error is not null || reference.Error is not null ? 0
        : AnswerAgreement.Score(ScoredAnswer.OfText(answer.Text), ScoredAnswer.OfText(reference.Text), item.Schema is not null)
            .Where(s => AgreementMetrics.Label(s.Metric) == metric).Select(s => s.Value).DefaultIfEmpty(0).First();

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    internal static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
