using System.Reflection;

namespace SlmCluster.UnitTests.Inference;

/// <summary>
/// Finds the shared test models: <c>$SLM_MODELS_DIR</c>, else a <c>shared/models</c> folder next to the repository
/// (found by walking up from the test assembly, and from the repository's header cache).
/// </summary>
internal static class TestModels
{
    public const string Stories260KFile = "stories260K.gguf";
    public const string BenchFile = "bench-llama-125m-random-q4_0.gguf";

    public static string Stories260K => Find(Stories260KFile);

    public static string Bench => Find(BenchFile);

    /// <summary>llama.h of the shipped build (the test project's <c>LlamaHeadersDir</c> assembly metadata).</summary>
    public static string LlamaHeadersDir =>
        typeof(TestModels).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "LlamaHeadersDir")?.Value
        ?? throw new InvalidOperationException("The test assembly has no LlamaHeadersDir metadata (see tests/UnitTests/LlamaHeaders.targets).");

    public static string Find(string fileName)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("SLM_MODELS_DIR");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(Path.Combine(fromEnvironment, fileName)))
        {
            return Path.GetFullPath(Path.Combine(fromEnvironment, fileName));
        }

        string?[] starts = [AppContext.BaseDirectory, TryHeadersDir()];
        foreach (string? start in starts)
        {
            for (DirectoryInfo? dir = start is null ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", "models", fileName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new FileNotFoundException(
            $"Test model {fileName} not found: set SLM_MODELS_DIR or put it in shared/models next to the repository.", fileName);
    }

    private static string? TryHeadersDir()
    {
        try
        {
            return LlamaHeadersDir;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
