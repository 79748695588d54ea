using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace SlmCluster.ServiceDefaults.Metrics;

/// <summary>
/// Turns OpenTelemetry-style instrument names, units and tags into Prometheus names and escaped text, following the
/// OpenTelemetry-to-Prometheus compatibility rules: dots become underscores, the unit is a suffix, counters end in <c>_total</c>.
/// </summary>
public static class PrometheusNaming
{
    /// <summary>
    /// The metric name for <paramref name="instrument"/>: <c>slm.request.duration</c> in <c>s</c> is
    /// <c>slm_request_duration_seconds</c>; the counter <c>slm.cost</c> in <c>USD</c> is <c>slm_cost_usd_total</c>.
    /// </summary>
    public static string MetricName(string instrumentName, string? unit, bool isCounter)
    {
        var name = Sanitize(instrumentName, allowColon: true);
        if (UnitSuffix(unit, isCounter) is { } suffix && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name += "_" + suffix;
        }

        if (isCounter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }

        return name;
    }

    public static string MetricName(Instrument instrument, bool isCounter) => MetricName(instrument.Name, instrument.Unit, isCounter);

    /// <summary>A valid label name: letters, digits and underscores, not starting with a digit.</summary>
    public static string LabelName(string key) => Sanitize(key, allowColon: false);

    /// <summary>A label value inside double quotes: backslash, double quote and line feed escaped.</summary>
    public static string EscapeLabelValue(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', '"', '\n') < 0)
        {
            return value;
        }

        var escaped = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            escaped.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }

    /// <summary>HELP text: backslash and line feed escaped (double quotes stay as they are).</summary>
    public static string EscapeHelp(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>A sample value as Prometheus parses it: <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>, else the shortest round-trip form.</summary>
    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string? UnitSuffix(string? unit, bool isCounter)
    {
        if (string.IsNullOrEmpty(unit) || unit[0] == '{')
        {
            // Curly-brace units ("{request}") are annotations, not units.
            return null;
        }

        return unit switch
        {
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            "%" => "percent",
            "1" => isCounter ? null : "ratio",
            _ => Sanitize(unit, allowColon: false).Trim('_').ToLowerInvariant() is { Length: > 0 } sanitized ? sanitized : null,
        };
    }

    private static string Sanitize(string name, bool allowColon)
    {
        var result = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            var valid = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' || (allowColon && c == ':');
            result.Append(valid ? c : '_');
        }

        if (result.Length == 0 || char.IsAsciiDigit(result[0]))
        {
            result.Insert(0, '_');
        }

        return result.ToString();
    }
}
