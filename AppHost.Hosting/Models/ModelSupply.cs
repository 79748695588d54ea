namespace SlmCluster.AppHost.Hosting.Models;

/// <summary>
/// Turns a <see cref="ModelReference"/> into a file the workers can load: found where the user put it or in
/// the models folder, else downloaded into the models folder; checked against its SHA-256 whenever one is known.
/// </summary>
internal sealed class ModelSupply(string modelsDirectory, string repoRoot, string? baseUrl, ModelDownloader downloader)
{
    /// <summary><c>$SLM_MODELS_DIR</c>, else <c>./models</c>.</summary>
    public static string DefaultModelsDirectory =>
        Environment.GetEnvironmentVariable("SLM_MODELS_DIR") is { Length: > 0 } dir ? Path.GetFullPath(dir) : Path.GetFullPath("models");

    public string ModelsDirectory => modelsDirectory;

    /// <summary>Where a local file is looked for, in order.</summary>
    public IReadOnlyList<string> Candidates(ModelReference model)
    {
        var candidates = new List<string>();
        if (model.IsPath)
        {
            candidates.Add(Path.GetFullPath(model.Source));
        }

        candidates.Add(Path.Combine(modelsDirectory, model.FileName));
        // A development checkout keeps the shared test models beside the repository.
        candidates.Add(Path.GetFullPath(Path.Combine(repoRoot, "..", "shared", "models", model.FileName)));
        return candidates.Distinct().ToArray();
    }

    public async Task<string> ResolveAsync(ModelReference model, CancellationToken cancellationToken)
    {
        var candidates = Candidates(model);
        if (candidates.FirstOrDefault(File.Exists) is { } found)
        {
            if (model.Sha256 is { } expected && await ModelDownloader.HashAsync(found, cancellationToken) is var actual && actual != expected)
            {
                throw new ModelSupplyException(
                    $"{found} is not the model '{model.Source}' names: its SHA-256 is {actual}, but {expected} was expected. " +
                    "Delete or replace the file (a download starts when it is gone), or pass the right --model-sha256.");
            }

            return found;
        }

        if (!model.IsDownloadable)
        {
            throw new ModelSupplyException(NotFoundMessage(model, candidates));
        }

        return await downloader.DownloadAsync(model, baseUrl, modelsDirectory, cancellationToken);
    }

    private string NotFoundMessage(ModelReference model, IReadOnlyList<string> looked) =>
        $"""
        Model '{model.Source}' was not found. Looked in:
          {string.Join("\n  ", looked)}
        Put the GGUF file in the models folder ({modelsDirectory}; set SLM_MODELS_DIR to use another folder),
        pass a path (--model /path/to/model.gguf), or name a Hugging Face file with its SHA-256 to download it once:
          --model hf://bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q4_K_M.gguf --model-sha256 <64 hex digits>
        """;
}
