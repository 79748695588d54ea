using System.Reflection;

namespace SlmCluster.IntegrationTests.Infrastructure;

/// <summary>Where the built services, the repository and the test models are.</summary>
internal static class TestPaths
{
    public static string WorkerAssembly => Metadata("WorkerAssembly");

    public static string GatewayAssembly => Metadata("GatewayAssembly");

    public static string AppHostAssembly => Metadata("AppHostAssembly");

    public static string RepoRoot => Metadata("RepoRoot");

    public static string ProtosDirectory => Path.Combine(RepoRoot, "protos");

    public static string InteropDirectory => Path.Combine(RepoRoot, "tests", "IntegrationTests", "interop");

    /// <summary><c>$SLM_MODELS_DIR</c>, else the shared models beside the repository.</summary>
    public static string ModelsDirectory =>
        Environment.GetEnvironmentVariable("SLM_MODELS_DIR") is { Length: > 0 } dir
            ? dir
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "models"));

    public static string Model(string file)
    {
        var path = Path.Combine(ModelsDirectory, file);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Test model {path} is missing; set SLM_MODELS_DIR to the folder holding {file}.", path);
        }

        return path;
    }

    private static string Metadata(string key) =>
        typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;
}
