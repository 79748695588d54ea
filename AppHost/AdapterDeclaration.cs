using System.Text.RegularExpressions;

namespace SlmCluster.AppHost;

/// <summary>One <c>--adapter [N:]NAME=SOURCE[@sha256]</c>: a LoRA adapter of the N-th model (0 here is the first).</summary>
internal sealed partial record AdapterDeclaration(int ModelIndex, string Name, string Source, string? Sha256)
{
    /// <exception cref="ArgumentException">The text is not of that form, or names a model that is not declared.</exception>
    public static AdapterDeclaration Parse(string text, int models)
    {
        var match = Form().Match(text);
        if (!match.Success)
        {
            throw new ArgumentException($"--adapter '{text}' is not [N:]NAME=SOURCE[@sha256] (NAME: letters, digits, . _ -; sha256: 64 hex digits).");
        }

        var index = match.Groups["model"].Success ? int.Parse(match.Groups["model"].Value, System.Globalization.CultureInfo.InvariantCulture) - 1 : 0;
        if (index < 0 || index >= models)
        {
            throw new ArgumentException($"--adapter '{text}' is for model {index + 1}, but {models} model(s) are declared.");
        }

        return new AdapterDeclaration(index, match.Groups["name"].Value, match.Groups["source"].Value,
            match.Groups["sha"].Success ? match.Groups["sha"].Value.ToLowerInvariant() : null);
    }

    [GeneratedRegex(@"^(?:(?<model>[1-9][0-9]?):)?(?<name>[A-Za-z0-9][A-Za-z0-9._\-]{0,63})=(?<source>[^@]+?)(?:@(?<sha>[0-9A-Fa-f]{64}))?$")]
    private static partial Regex Form();
}
