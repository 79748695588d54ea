using System.Text.RegularExpressions;
using SlmCluster.IntegrationTests.Infrastructure;

namespace SlmCluster.IntegrationTests.Settings;

/// <summary>
/// The environment an image of ours sets (<c>ENV</c> in <c>deploy/docker/*.Dockerfile</c>) for the target it is built
/// from: <c>slmcluster/worker-cuda</c> is worker.Dockerfile's <c>cuda</c> stage, <c>slmcluster/worker</c> its
/// <c>cpu</c> stage, an image with no such stage the file's last.
/// </summary>
internal static partial class ImageEnvironment
{
    public static IReadOnlyDictionary<string, string> Of(string image)
    {
        var repository = image[(image.LastIndexOf('/') + 1)..image.LastIndexOf(':')];
        var dash = repository.IndexOf('-', StringComparison.Ordinal);
        var (file, target) = dash < 0 ? (repository, "cpu") : (repository[..dash], repository[(dash + 1)..]);
        var stages = Stages(Path.Combine(TestPaths.RepoRoot, "deploy", "docker", $"{file}.Dockerfile"));
        return stages.TryGetValue(target, out var environment) ? environment : stages[LastStage];
    }

    private const string LastStage = "";

    /// <summary>Each stage's environment by the stage's name, and the last stage's under <see cref="LastStage"/>.</summary>
    private static Dictionary<string, Dictionary<string, string>> Stages(string dockerfile)
    {
        var stages = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        // Instructions, with continued lines joined.
        foreach (var instruction in Regex.Replace(File.ReadAllText(dockerfile), @"\\\r?\n", " ").Split('\n'))
        {
            if (From().Match(instruction) is { Success: true } from)
            {
                // A stage built on an earlier one starts with its environment.
                current = stages.TryGetValue(from.Groups["base"].Value, out var earlier) ? new(earlier, StringComparer.Ordinal) : new(StringComparer.Ordinal);
                stages[from.Groups["name"].Success ? from.Groups["name"].Value : LastStage] = current;
                stages[LastStage] = current;
            }
            else if (instruction.StartsWith("ENV ", StringComparison.Ordinal))
            {
                foreach (Match pair in EnvPair().Matches(instruction[4..]))
                {
                    current[pair.Groups[1].Value] = pair.Groups[2].Value;
                }
            }
        }

        return stages;
    }

    [GeneratedRegex(@"^FROM\s+(?<base>\S+)(\s+AS\s+(?<name>\S+))?", RegexOptions.IgnoreCase)]
    private static partial Regex From();

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)=(\S*)")]
    private static partial Regex EnvPair();
}
