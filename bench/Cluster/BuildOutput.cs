using System.Reflection;

namespace SlmCluster.Bench.Cluster;

/// <summary>Where the build put the services and the repository (stamped into this assembly by Bench.csproj).</summary>
internal static class BuildOutput
{
    public static string RepoRoot => Metadata("RepoRoot");

    public static string Assembly(string key) => Metadata(key);

    private static string Metadata(string key) =>
        typeof(BuildOutput).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} is missing.");
}
