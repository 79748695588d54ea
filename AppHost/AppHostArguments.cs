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
    /// --output-path dir</c>), and flags without a value (<c>--no-redis</c>) get one, as the configuration reader wants.
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

        for (var i = start; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--output":
                    result.Add("--output-path");
                    break;
                case "--no-redis":
                    result.Add("--redis=false");
                    break;
                default:
                    result.Add(args[i]);
                    break;
            }
        }

        return [.. result];
    }
}
