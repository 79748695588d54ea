using System.Text;
using System.Text.RegularExpressions;

namespace SlmCluster.AppHost.Hosting.Publishing;

/// <summary>
/// A container's shell script, kept as a file in <c>Publishing/Scripts</c> (embedded in this assembly) and written into
/// a manifest as the one line of <c>sh -c</c>. A script is a list of commands, one a line, each complete on its line;
/// lines starting with <c>#</c> say why and stay out of the manifest. <c>{{name}}</c> placeholders are filled at publish.
/// </summary>
internal static partial class ManifestScript
{
    /// <summary>The script <paramref name="file"/> as one line, its commands joined by "; ", with <paramref name="values"/> filled in.</summary>
    /// <exception cref="InvalidOperationException">A placeholder has no value, or a value no placeholder.</exception>
    public static string Render(string file, IReadOnlyDictionary<string, string> values)
    {
        var name = $"scripts/{file}";
        using var stream = typeof(ManifestScript).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"No embedded script {name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var commands = reader.ReadToEnd().ReplaceLineEndings("\n").Split('\n')
            .Where(line => line.Length > 0 && !line.StartsWith('#')).ToArray();
        // Joined by "; ", a command continued on the next line would become two.
        if (commands.FirstOrDefault(line => Continued().IsMatch(line)) is { } continued)
        {
            throw new InvalidOperationException($"Script {file} continues a command on the next line, which the manifest's one line cannot keep: {continued}");
        }

        var script = string.Join("; ", commands);

        var used = new HashSet<string>(StringComparer.Ordinal);
        script = Placeholder().Replace(script, match =>
        {
            var key = match.Groups[1].Value;
            used.Add(key);
            return values.TryGetValue(key, out var value)
                ? value
                : throw new InvalidOperationException($"Script {file} has a placeholder {{{{{key}}}}} with no value.");
        });
        if (values.Keys.FirstOrDefault(k => !used.Contains(k)) is { } unused)
        {
            throw new InvalidOperationException($"Script {file} has no placeholder {{{{{unused}}}}}.");
        }

        return script;
    }

    [GeneratedRegex(@"\{\{([a-z-]+)\}\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"(\\|\bthen|\bdo|\belse|[{(|]|&&|\|\|)\s*$")]
    private static partial Regex Continued();
}
