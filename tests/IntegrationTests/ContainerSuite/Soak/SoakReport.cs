using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SlmCluster.IntegrationTests.ContainerSuite.Soak;

/// <summary>The soak's figures, as JSON and as an HTML page with tokens/s over time and the faults drawn on it.</summary>
internal sealed class SoakReport(IReadOnlyList<SoakRequest> requests, IReadOnlyList<SoakFault> faults, TimeSpan duration, int lost, string machine)
{
    private static readonly TimeSpan Bucket = TimeSpan.FromSeconds(5);

    /// <summary>Failed requests no fault covers: a request that had not started on a faulted host (the goal: none).</summary>
    public IReadOnlyList<SoakRequest> Unexpected { get; } = [.. requests.Where(r => r.Error is not null && !faults.Any(f => f.Covers(r)))];

    public int Lost => lost;

    public string Summary()
    {
        var failed = requests.Count(r => r.Error is not null);
        return string.Create(CultureInfo.InvariantCulture,
            $"{duration.TotalMinutes:F1} min, {faults.Count} faults: {requests.Count} sent, {requests.Count - failed} answered, {failed} failed " +
            $"({string.Join(", ", FailedByKind().Select(k => $"{k.Key} {k.Value}"))}), {Unexpected.Count} not under way on a faulted host, {lost} lost");
    }

    public async Task WriteAsync(string directory, string name)
    {
        Directory.CreateDirectory(directory);
        var json = new
        {
            machine,
            duration_s = Math.Round(duration.TotalSeconds),
            sent = requests.Count,
            answered = requests.Count(r => r.Error is null),
            failed = requests.Count(r => r.Error is not null),
            lost,
            failed_by_kind = FailedByKind(),
            failed_not_under_way_on_a_faulted_host = Unexpected.Select(r => r.ToString()).ToArray(),
            faults = faults.Select(f => new
            {
                kind = f.Kind,
                host = f.Host,
                from_s = Math.Round(f.From.TotalSeconds, 1),
                healed_s = Math.Round(f.Healed.TotalSeconds, 1),
                failed = requests.Count(r => r.Error is not null && f.Covers(r)),
            }).ToArray(),
            tokens_per_second = Series().Select(p => new { t_s = p.Start.TotalSeconds, tokens_per_s = Math.Round(p.Rate, 1) }).ToArray(),
        };
        await File.WriteAllTextAsync(Path.Combine(directory, $"{name}.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        await File.WriteAllTextAsync(Path.Combine(directory, $"{name}.html"), Html());
    }

    /// <summary>Failures by request kind and status (the part before the first colon).</summary>
    private Dictionary<string, int> FailedByKind() => requests.Where(r => r.Error is not null)
        .GroupBy(r => $"{r.Kind} {StatusOf(r.Error!)}")
        .OrderBy(g => g.Key, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Count());

    private static string StatusOf(string error) => error[..Math.Max(0, error.IndexOf(':', StringComparison.Ordinal))];

    /// <summary>Tokens answered per second, by the time the answers ended, in buckets of 5 s.</summary>
    private IReadOnlyList<(TimeSpan Start, double Rate)> Series()
    {
        var buckets = (int)Math.Ceiling(duration / Bucket);
        var tokens = new double[Math.Max(1, buckets)];
        foreach (var request in requests.Where(r => r.Error is null))
        {
            tokens[Math.Min(tokens.Length - 1, (int)(request.Ended / Bucket))] += request.Tokens;
        }

        return [.. tokens.Select((t, i) => (Bucket * i, t / Bucket.TotalSeconds))];
    }

    private string Html()
    {
        const double Width = 900, Height = 300, Left = 50, Bottom = 30;
        var series = Series();
        var top = Math.Max(1, series.Max(p => p.Rate)) * 1.1;
        double X(TimeSpan t) => Left + (t / duration * (Width - Left - 10));
        double Y(double rate) => Height - Bottom - (rate / top * (Height - Bottom - 10));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns='http://www.w3.org/2000/svg' width='{Width}' height='{Height}' font-family='sans-serif' font-size='11'>");
        var colors = new Dictionary<string, string>
        {
            ["worker-cut"] = "#f4a261",
            ["worker-pause"] = "#e9c46a",
            ["worker-kill"] = "#e76f51",
            ["gateway-kill"] = "#9b5de5",
            ["gateway-cut"] = "#c77dff",
            ["redis-kill"] = "#2a9d8f",
        };
        foreach (var fault in faults)
        {
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x='{X(fault.From):F1}' y='10' width='{Math.Max(2, X(fault.Healed) - X(fault.From)):F1}' height='{Height - Bottom - 10}' fill='{colors.GetValueOrDefault(fault.Kind, "#ccc")}' opacity='0.35'><title>{fault.Kind} {fault.Host}</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x='{X(fault.From) + 2:F1}' y='22' fill='#333'>{fault.Kind}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line x1='{Left}' y1='{Height - Bottom}' x2='{Width - 10}' y2='{Height - Bottom}' stroke='#333'/>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1='{Left}' y1='10' x2='{Left}' y2='{Height - Bottom}' stroke='#333'/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x='5' y='15'>{top:F0}</text><text x='5' y='{Height - Bottom}'>0</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x='{Width / 2 - 60}' y='{Height - 8}'>time (s), {duration.TotalSeconds:F0} s in all</text>");
        svg.Append("<polyline fill='none' stroke='#264653' stroke-width='2' points='")
            .AppendJoin(' ', series.Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.Start + (Bucket / 2)):F1},{Y(p.Rate):F1}")))
            .Append("'/></svg>");
        return $"""
            <!doctype html>
            <html><head><meta charset="utf-8"><title>SlmCluster soak with faults</title></head>
            <body style="font-family:sans-serif;max-width:960px">
            <h1>Soak with faults</h1>
            <p>{System.Net.WebUtility.HtmlEncode(Summary())}</p>
            <p>Machine: {System.Net.WebUtility.HtmlEncode(machine)}</p>
            <h2>Tokens/s answered over time (5 s buckets), faults shaded</h2>
            {svg}
            <h2>Faults</h2>
            <ul>{string.Concat(faults.Select(f => string.Create(CultureInfo.InvariantCulture, $"<li>{f.From.TotalSeconds:F1}-{f.Healed.TotalSeconds:F1} s: {f.Kind} {f.Host}, {requests.Count(r => r.Error is not null && f.Covers(r))} failed</li>")))}</ul>
            <h2>Failed requests not under way on a faulted host</h2>
            <ul>{string.Concat(Unexpected.Select(r => $"<li>{System.Net.WebUtility.HtmlEncode(r.ToString())}</li>"))}</ul>
            </body></html>
            """;
    }
}
