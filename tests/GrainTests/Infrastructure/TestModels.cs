namespace SlmCluster.GrainTests.Infrastructure;

/// <summary>Finds the shared test models: <c>$SLM_MODELS_DIR</c>, else a <c>shared/models</c> folder above the test assembly.</summary>
internal static class TestModels
{
    public const string Stories260KId = "stories260K";

    public static string Stories260K => Find("stories260K.gguf");

    private static string Find(string fileName)
    {
        if (Environment.GetEnvironmentVariable("SLM_MODELS_DIR") is { Length: > 0 } fromEnvironment
            && File.Exists(Path.Combine(fromEnvironment, fileName)))
        {
            return Path.GetFullPath(Path.Combine(fromEnvironment, fileName));
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "models", fileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"Test model {fileName} not found: set SLM_MODELS_DIR or put it in shared/models next to the repository.", fileName);
    }
}
