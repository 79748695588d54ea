using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SlmCluster.Eval;

/// <summary>Writes an <see cref="EvalReport"/> as <c>eval-{time}.md</c>, <c>.json</c> and <c>.html</c> (an SVG chart of cost against agreement per candidate, and the sweep's curve).</summary>
public static class ReportWriter
{
    // The sweep's ends are thresholds of -Infinity (accept all) and Infinity (escalate all), written as those strings.
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <returns>The path of the files, without extension.</returns>
    public static string Write(EvalReport report, string directory, string metric)
    {
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, "eval-" + report.When.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        File.WriteAllText(stem + ".md", Markdown(report, metric));
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(report, Json));
        File.WriteAllText(stem + ".html", Html(report, metric));
        return stem;
    }

    private static string F(double? value, string format = "0.000") => value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string Usd(double value) => "$" + value.ToString("0.########", CultureInfo.InvariantCulture);

    private static string Threshold(double t) => double.IsNegativeInfinity(t) ? "accept all" : double.IsPositiveInfinity(t) ? "escalate all" : F(t, "0.####");

    public static string Markdown(EvalReport report, string metric)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Evaluation of {report.Set} ({report.Items} items) against {report.Reference}\n\n");
        if (report.ReferenceErrors > 0)
        {
            md.Append(CultureInfo.InvariantCulture,
                $"The reference failed {report.ReferenceErrors} item(s), left out of agreement and the sweep; the first: {report.ReferenceFirstError}\n\n");
        }

        md.Append("| candidate | accuracy (F1 vs expected) | exact match vs expected | agreement F1 | agreement ROUGE-L | agreement exact match | cost | latency p50 | latency p99 | escalated | errors |\n");
        md.Append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var c in report.Candidates)
        {
            md.Append(CultureInfo.InvariantCulture,
                $"| {c.Candidate} | {F(c.Accuracy)} | {F(c.ExactMatch)} | {F(c.Agreement.GetValueOrDefault("f1"))} | {F(c.Agreement.GetValueOrDefault("rouge_l"))} | {F(c.Agreement.GetValueOrDefault("exact_match"))} | {Usd(c.CostUsd)} | {F(c.LatencyP50Ms, "0.0")} ms | {F(c.LatencyP99Ms, "0.0")} ms | {F(100 * c.EscalatedShare, "0.0")} % | {c.Errors} |\n");
        }

        foreach (var c in report.Candidates.Where(c => c.FirstError is not null))
        {
            md.Append(CultureInfo.InvariantCulture, $"\n{c.Candidate}: {c.Errors} error(s), the first: {c.FirstError}\n");
        }

        if (report.Sweep is { } sweep)
        {
            md.Append(CultureInfo.InvariantCulture,
                $"\n## Threshold sweep of {sweep.Route} ({sweep.FirstTier} → {sweep.LastTier}), agreement by {sweep.Metric}, target {F(sweep.TargetAgreement)}\n\n");
            md.Append("| min mean logprob | agreement | cost | escalated |\n|---|---|---|---|\n");
            foreach (var p in sweep.Points)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {Threshold(p.Threshold)} | {F(p.Agreement)} | {Usd(p.CostUsd)} | {F(100 * p.EscalatedShare, "0.0")} % |\n");
            }

            md.Append('\n');
            md.Append(sweep.Suggested is { } s
                ? string.Create(CultureInfo.InvariantCulture, $"Suggested: `Accept:MinMeanLogprob` = {Threshold(s.Threshold)}: agreement {F(s.Agreement)} at {Usd(s.CostUsd)}, {F(100 * s.EscalatedShare, "0.0")} % escalated.\n")
                : "No threshold meets the target on this set: the first tier cannot carry it; escalate everything or lower the target.\n");
            if (sweep.Suggested is not null && sweep.CalibrationHalf is null)
            {
                md.Append("Held-out check: no threshold meets the target on the even items alone, so none could be checked on the odd ones.\n");
            }

            if (sweep.CalibrationHalf is { } calibration && sweep.HeldOutHalf is { } heldOut)
            {
                md.Append(CultureInfo.InvariantCulture,
                    $"Held-out check: chosen on the even items ({Threshold(calibration.Threshold)}, promising {F(calibration.Agreement)}), it gives {F(heldOut.Agreement)} on the odd items ({F(100 * (heldOut.Agreement - calibration.Agreement), "+0.0;-0.0")} points): {(sweep.HeldOutWithinTolerance == true ? "within" : "outside")} ±{F(100 * SweepReport.HeldOutTolerance, "0")} points.\n");
            }
        }

        return md.ToString();
    }

    private static string Html(EvalReport report, string metric)
    {
        const int W = 640, H = 400, M = 50;
        var points = report.Candidates.Select(c => (Label: c.Candidate, Cost: c.CostUsd, Agreement: c.Agreement.GetValueOrDefault(metric))).ToList();
        var curve = report.Sweep?.Points.Select(p => (p.CostUsd, p.Agreement)).ToList() ?? [];
        var maxCost = Math.Max(1e-12, points.Select(p => p.Cost).Concat(curve.Select(c => c.CostUsd)).DefaultIfEmpty(0).Max()) * 1.1;
        string X(double cost) => (M + cost / maxCost * (W - 2 * M)).ToString("0.#", CultureInfo.InvariantCulture);
        string Y(double agreement) => (H - M - agreement * (H - 2 * M)).ToString("0.#", CultureInfo.InvariantCulture);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"cost against agreement\">");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{M}\" y1=\"{H - M}\" x2=\"{W - M}\" y2=\"{H - M}\" stroke=\"#888\"/><line x1=\"{M}\" y1=\"{M}\" x2=\"{M}\" y2=\"{H - M}\" stroke=\"#888\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{W / 2}\" y=\"{H - 12}\" text-anchor=\"middle\">cost over the set (USD, 0 to {WebUtility.HtmlEncode(Usd(maxCost))})</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{H / 2}\" transform=\"rotate(-90 14 {H / 2})\" text-anchor=\"middle\">agreement with {WebUtility.HtmlEncode(report.Reference)} ({metric}, 0 to 1)</text>");
        if (curve.Count > 1)
        {
            svg.Append("<polyline fill=\"none\" stroke=\"#ffb347\" stroke-width=\"2\" points=\"")
                .AppendJoin(' ', curve.OrderBy(c => c.CostUsd).Select(c => X(c.CostUsd) + "," + Y(c.Agreement))).Append("\"/>");
        }

        foreach (var (label, cost, agreement) in points)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(cost)}\" cy=\"{Y(agreement)}\" r=\"6\" fill=\"#4fb3ff\"/><text x=\"{X(cost)}\" y=\"{Y(agreement)}\" dx=\"9\" dy=\"4\">{WebUtility.HtmlEncode(label)}</text>");
        }

        svg.Append("</svg>");
        return $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Evaluation of {WebUtility.HtmlEncode(report.Set)}</title>
            <style>body{"{"}font-family:sans-serif;margin:2rem{"}"} pre{"{"}background:#f4f4f4;padding:1rem{"}"}</style></head>
            <body><h1>Cost against agreement</h1>
            <p>Each candidate at its cost over the set and its agreement with the reference; the line is the cascade's threshold sweep.</p>
            {svg}
            <pre>{WebUtility.HtmlEncode(Markdown(report, metric))}</pre>
            </body></html>
            """;
    }
}
