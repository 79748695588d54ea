using System.Reflection;

namespace SlmCluster.AppHost;

/// <summary>The AppHost's command line in the forms people type, turned into the forms Aspire and configuration read.</summary>
internal static class AppHostArguments
{
    /// <summary>The repository the AppHost was built in (stamped by AppHost.csproj), where the shared test models sit beside it.</summary>
    public static string RepoRoot =>
        typeof(AppHostArguments).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value ?? ".";

    /// <summary>
    /// <c>publish [--output dir]</c> becomes Aspire's publish operation (<c>--operation publish --step publish
    /// --output-path dir</c>), flags without a value (<c>--no-cache</c>) get one, as the configuration reader wants, and
    /// <c>--model</c> or <c>--model-sha256</c> given more than once becomes a list (<c>--models:0</c>, <c>--models:1</c>,
    /// ...; <c>--model-sha256s:0</c>, ...).
    /// </summary>
    public static string[] Translate(string[] args)
    {
        var result = new List<string>();
        var start = 0;
        if (args.Length > 0 && args[0] == "publish")
        {
            result.AddRange(["--operation", "publish", "--step", "publish"]);
            start = 1;
            if (!args.Contains("--output") && !args.Any(a => a.StartsWith("--output=", StringComparison.Ordinal)))
            {
                result.AddRange(["--output-path", Path.Combine("deploy", "k8s")]);
            }
        }
        else if (args.Length > 0 && args[0] == "run")
        {
            start = 1;
        }

        // Options that become a list when given more than once, and the next index of each.
        var lists = new[] { "model", "model-sha256" }
            .Where(name => args.Count(a => a == $"--{name}" || a.StartsWith($"--{name}=", StringComparison.Ordinal)) > 1)
            .ToDictionary(name => name, _ => 0);
        for (var i = start; i < args.Length; i++)
        {
            if (ListItem(args, ref i, lists.Keys) is (string list, string value))
            {
                result.Add($"--{list}s:{lists[list]++}={value}");
                continue;
            }

            switch (args[i])
            {
                case "--output":
                    result.Add("--output-path");
                    break;
                case "--no-cascade":
                    result.Add("--cascade=");
                    break;
                case "--no-cache":
                case "--no-redis":
                    // --no-redis from before Redis held membership: it turned the cache off, and still does.
                    result.Add("--cache=false");
                    break;
                default:
                    result.Add(args[i]);
                    break;
            }
        }

        return [.. result];
    }

    /// <summary>
    /// <c>--name x</c> or <c>--name=x</c> for one of <paramref name="names"/>, moving past its value; null for any other
    /// argument.
    /// </summary>
    private static (string Name, string Value)? ListItem(string[] args, ref int i, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (args[i] == $"--{name}" && i + 1 < args.Length)
            {
                return (name, args[++i]);
            }

            if (args[i].StartsWith($"--{name}=", StringComparison.Ordinal))
            {
                return (name, args[i][$"--{name}=".Length..]);
            }
        }

        return null;
    }
}
