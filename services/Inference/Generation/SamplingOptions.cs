namespace SlmCluster.Inference;

/// <summary>How the next token is picked. The defaults give greedy decoding.</summary>
public sealed record SamplingOptions
{
    /// <summary>llama-server's default <c>repeat_last_n</c>.</summary>
    public const int DefaultPenaltyWindow = 64;

    /// <summary>Most entries a <see cref="LogitBias"/> may hold.</summary>
    public const int MaxLogitBiasEntries = 1024;

    /// <summary>0 picks the most likely token (greedy); higher values flatten the distribution.</summary>
    public float Temperature { get; init; }

    /// <summary>Nucleus sampling: keep the most likely tokens whose probabilities add up to this (1 = off).</summary>
    public float TopP { get; init; } = 1;

    /// <summary>Keep only the K most likely tokens (0 = off).</summary>
    public int TopK { get; init; }

    /// <summary>Drop tokens less likely than this fraction of the most likely one (0 = off).</summary>
    public float MinP { get; init; }

    /// <summary>Divides the logit of a token found among the last <see cref="PenaltyWindow"/> generated ones (1 = off; llama-server's <c>repeat_penalty</c>).</summary>
    public float RepeatPenalty { get; init; } = 1;

    /// <summary>Subtracted from a token's logit once per time it occurs in the window (0 = off; OpenAI's <c>frequency_penalty</c>).</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Subtracted from the logit of a token that occurs in the window at all (0 = off; OpenAI's <c>presence_penalty</c>).</summary>
    public float PresencePenalty { get; init; }

    /// <summary>How many of the last generated tokens the three penalties look at (llama-server's <c>repeat_last_n</c>).</summary>
    public int PenaltyWindow { get; init; } = DefaultPenaltyWindow;

    /// <summary>Added to the logits of these token ids before anything else samples (OpenAI's <c>logit_bias</c>); empty for none.</summary>
    public IReadOnlyDictionary<int, float> LogitBias { get; init; } = new Dictionary<int, float>();

    /// <summary>Seed for random sampling; null picks a random seed. Same seed, same request → same text.</summary>
    public uint? Seed { get; init; }
}
