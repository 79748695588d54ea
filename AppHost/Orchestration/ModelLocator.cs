namespace SlmCluster.AppHost.Orchestration;

/// <summary>Finds the model file the cluster will serve, or says where it looked.</summary>
internal static class ModelLocator
{
    public static string ModelsDirectory =>
        Environment.GetEnvironmentVariable("SLM_MODELS_DIR") is { Length: > 0 } dir ? Path.GetFullPath(dir) : Path.GetFullPath("models");

    public static string? Find(string model, string repoRoot, out IReadOnlyList<string> looked)
    {
        var candidates = new List<string>();
        if (Path.IsPathRooted(model) || model.Contains('/'))
        {
            candidates.Add(Path.GetFullPath(model));
        }

        candidates.Add(Path.Combine(ModelsDirectory, model));
        // A development checkout keeps the shared test models beside the repository.
        candidates.Add(Path.GetFullPath(Path.Combine(repoRoot, "..", "shared", "models", model)));
        looked = candidates.Distinct().ToArray();
        return looked.FirstOrDefault(File.Exists);
    }

    public static string NotFoundMessage(string model, IReadOnlyList<string> looked) =>
        $"""
        Model '{model}' was not found. Looked in:
          {string.Join("\n  ", looked)}
        Put the GGUF file in the models folder ({ModelsDirectory}; set SLM_MODELS_DIR to use another folder),
        or pass a path: dotnet run --project AppHost -- --model /path/to/model.gguf
        Small GGUF models (for example SmolLM2-135M-Instruct-Q4_K_M.gguf) are published on the Hugging Face hub.
        """;
}
