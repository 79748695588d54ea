namespace SlmCluster.Inference;

/// <summary>
/// Checks an adapter file against its base in managed code before llama.cpp reads it: a complete GGUF
/// (<see cref="GgufFileValidator"/>), <c>general.type</c> adapter, <c>adapter.type</c> lora, the base's architecture,
/// and only lora_a/lora_b pairs whose base tensor exists and whose shapes fit it (ggml order: A is [n_in, r], B is
/// [r, n_out]; token_embd has them flipped). The reason names the first thing that does not fit.
/// </summary>
internal static class LoraAdapterValidator
{
    private const string SuffixA = ".lora_a";
    private const string SuffixB = ".lora_b";

    /// <summary>Rank, alpha and tensor pairs of a file that fits <paramref name="baseModel"/>; else <see cref="AdapterLoadException"/>.</summary>
    public static (int Rank, float Alpha, int Pairs) Validate(string path, GgufContents baseModel, string baseArchitecture)
    {
        GgufContents adapter;
        try
        {
            adapter = GgufFileValidator.Read(path);
        }
        catch (ModelLoadException ex)
        {
            throw new AdapterLoadException(ex.Message.Replace("Model file", "file", StringComparison.Ordinal), ex);
        }

        string generalType = adapter.Strings.GetValueOrDefault("general.type") ?? "";
        if (generalType != "adapter")
        {
            bool isModel = generalType == "model" || adapter.Strings.ContainsKey("tokenizer.ggml.model");
            throw new AdapterLoadException($"{path} is not an adapter: its general.type is '{generalType}', an adapter's is 'adapter'" +
                (isModel ? " (this is a model file)" : ""));
        }
        string adapterType = adapter.Strings.GetValueOrDefault("adapter.type") ?? "";
        if (adapterType != "lora")
        {
            throw new AdapterLoadException($"{path} is a '{adapterType}' adapter; only 'lora' adapters are served");
        }
        string architecture = adapter.Strings.GetValueOrDefault("general.architecture") ?? "";
        if (architecture != baseArchitecture)
        {
            throw new AdapterLoadException($"{path} is an adapter for architecture '{architecture}', the base model is '{baseArchitecture}'");
        }

        var pairs = new Dictionary<string, (long[]? A, long[]? B)>(StringComparer.Ordinal);
        foreach ((string name, long[] shape) in adapter.Tensors)
        {
            if (name.EndsWith(SuffixA, StringComparison.Ordinal))
            {
                string target = name[..^SuffixA.Length];
                pairs[target] = (shape, pairs.GetValueOrDefault(target).B);
            }
            else if (name.EndsWith(SuffixB, StringComparison.Ordinal))
            {
                string target = name[..^SuffixB.Length];
                pairs[target] = (pairs.GetValueOrDefault(target).A, shape);
            }
            else if (!name.EndsWith("_norm.weight", StringComparison.Ordinal))
            {
                // llama.cpp skips norm vectors and refuses anything else.
                throw new AdapterLoadException($"{path} has tensor '{name}', which is neither a lora_a nor a lora_b tensor");
            }
        }
        if (pairs.Count == 0)
        {
            throw new AdapterLoadException($"{path} has no lora_a/lora_b tensors");
        }

        int rank = 0;
        foreach ((string target, (long[]? a, long[]? b)) in pairs)
        {
            if (a is null || b is null)
            {
                throw new AdapterLoadException($"{path} has {(a is null ? "lora_b" : "lora_a")} for '{target}' without its {(a is null ? "lora_a" : "lora_b")}");
            }
            if (!baseModel.Tensors.TryGetValue(target, out long[]? weight))
            {
                throw new AdapterLoadException($"{path} adapts '{target}', which the base model does not have (an adapter for another model?)");
            }
            if (a.Length != 2 || b.Length != 2 || weight.Length < 2)
            {
                throw new AdapterLoadException($"{path}: '{target}' lora_a and lora_b must be matrices");
            }
            bool fits = target.EndsWith("token_embd.weight", StringComparison.Ordinal)
                ? weight[0] == b[1] && weight[1] == a[1]
                : weight[0] == a[0] && weight[1] == b[1] && a[1] == b[0];
            if (!fits)
            {
                throw new AdapterLoadException(
                    $"{path}: '{target}' does not fit the base model: lora_a is [{a[0]}, {a[1]}], lora_b [{b[0]}, {b[1]}], " +
                    $"the base weight [{weight[0]}, {weight[1]}] needs lora_a [{weight[0]}, r] and lora_b [r, {weight[1]}] (an adapter for another model?)");
            }
            rank = (int)Math.Max(rank, b[0]);
        }
        float alpha = adapter.Floats.GetValueOrDefault("adapter.lora.alpha");
        if (!float.IsFinite(alpha))
        {
            throw new AdapterLoadException($"{path} has adapter.lora.alpha {alpha}");
        }
        return (rank, alpha, pairs.Count);
    }
}
