using SlmCluster.Inference;

namespace SlmCluster.StructuredOutputTests;

/// <summary>
/// The vocabulary the grammars run over: stories260K's 512 tokens (llama SentencePiece with a token for every ASCII
/// character and byte tokens; tinystories-656k has no token for braces or brackets), loaded once for the whole test assembly from <c>$SLM_MODELS_DIR</c> or a <c>shared/models</c> folder above the
/// test assembly.
/// </summary>
internal static class TestModel
{
    public const string FileName = "stories260K.gguf";

    private static readonly Lazy<LlamaModel> Shared = new(() => LlamaModel.Load(new ModelLoadOptions { Path = Find(FileName) }));

    public static LlamaModel Model => Shared.Value;

    /// <summary>The benchmark model's 32,000-token llama vocabulary: the size where the grammar rejects most tokens.</summary>
    public static LlamaModel Bench => SharedBench.Value;

    private static readonly Lazy<LlamaModel> SharedBench = new(() => LlamaModel.Load(new ModelLoadOptions { Path = Find("bench-llama-125m-random-q4_0.gguf") }));

    public static string Find(string fileName)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("SLM_MODELS_DIR");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(Path.Combine(fromEnvironment, fileName)))
        {
            return Path.GetFullPath(Path.Combine(fromEnvironment, fileName));
        }
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "models", fileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException($"Test model {fileName} not found: set SLM_MODELS_DIR or put it in shared/models next to the repository.", fileName);
    }
}
