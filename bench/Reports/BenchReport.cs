using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SlmCluster.Bench.Reports;

/// <summary>Prints the results as a table and writes them as JSON and Markdown to bench/results/.</summary>
internal sealed class BenchReport(BenchSettings settings, IReadOnlyList<RunResult> results, IReadOnlyList<SlmCluster.Bench.Scenarios.TargetCheck> checks,
    IReadOnlyList<string> notes)
{
    private static readonly string[] Header =
        ["target", "conc", "requests", "tok/s", "TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99", "E2E p50", "E2E p99", "peak RSS"];

    public string ToTable()
    {
        var rows = results.Select(Cells).Prepend(Header).ToArray();
        var widths = Enumerable.Range(0, Header.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var (row, index) in rows.Select((r, i) => (r, i)))
        {
            sb.AppendLine(string.Join("  ", row.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))));
            if (index == 0)
            {
                sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
            }
        }

        return sb.ToString();
    }

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# SlmCluster benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Model `{Path.GetFileName(settings.ModelPath)}`, {settings.Threads} threads, {settings.Slots} slots, {settings.MaxTokens} tokens per request (end-of-sequence ignored), throughput in {settings.Rounds} interleaved rounds of {settings.RequestsPerClient} request(s) per client, {settings.Pairs} alternating pairs in latency comparisons, {Environment.ProcessorCount} cores. Latency scenarios use `{Path.GetFileName(settings.SmallModelPath)}` where stated.");
        sb.AppendLine();
        sb.AppendLine("| " + string.Join(" | ", Header) + " |");
        sb.AppendLine("|" + string.Concat(Header.Select(_ => "---|")));
        foreach (var result in results)
        {
            sb.AppendLine("| " + string.Join(" | ", Cells(result)) + " |");
        }

        sb.AppendLine();
        sb.AppendLine("## Targets");
        sb.AppendLine();
        foreach (var check in checks)
        {
            sb.AppendLine("- " + check);
        }

        if (notes.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Findings");
            sb.AppendLine();
            foreach (var note in notes)
            {
                sb.AppendLine("- " + note);
            }
        }

        return sb.ToString();
    }

    public string Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, $"bench-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(new { settings, machine = new { cores = Environment.ProcessorCount }, results, notes, checks = checks.Select(c => new { c.Scenario, c.Description, c.Measured, c.Unit, c.Target, c.HigherIsBetter, c.Met }) }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        File.WriteAllText(stem + ".md", ToMarkdown());
        return stem;
    }

    private static string[] Cells(RunResult r) =>
    [
        r.Target,
        r.Concurrency.ToString(CultureInfo.InvariantCulture),
        r.Requests.ToString(CultureInfo.InvariantCulture),
        r.TokensPerSecond.ToString("F1", CultureInfo.InvariantCulture),
        Ms(r.TtftP50Ms), Ms(r.TtftP99Ms), Ms(r.TpotP50Ms), Ms(r.TpotP99Ms), Ms(r.E2eP50Ms), Ms(r.E2eP99Ms),
        r.PeakRssBytes is { } rss ? $"{rss / (1024.0 * 1024.0):F0} MiB" : "-",
    ];

    private static string Ms(double ms) => ms.ToString("F2", CultureInfo.InvariantCulture) + " ms";
}
