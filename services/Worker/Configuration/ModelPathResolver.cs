namespace SlmCluster.Worker.Configuration;

/// <summary>Finds a model file given as a path or as a name in the models folder (<c>$SLM_MODELS_DIR</c>, else <c>./models</c>).</summary>
public static class ModelPathResolver
{
    public static string ModelsDirectory =>
        Environment.GetEnvironmentVariable("SLM_MODELS_DIR") is { Length: > 0 } dir ? dir : Path.GetFullPath("models");

    public static string Resolve(string modelPath)
    {
        if (Path.IsPathRooted(modelPath) || File.Exists(modelPath))
        {
            return Path.GetFullPath(modelPath);
        }

        return Path.Combine(ModelsDirectory, modelPath);
    }
}
