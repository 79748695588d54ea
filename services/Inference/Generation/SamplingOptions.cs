namespace SlmCluster.Inference;

/// <summary>How the next token is picked. The defaults give greedy decoding.</summary>
public sealed record SamplingOptions
{
    /// <summary>0 picks the most likely token (greedy); higher values flatten the distribution.</summary>
    public float Temperature { get; init; }

    /// <summary>Nucleus sampling: keep the most likely tokens whose probabilities add up to this (1 = off).</summary>
    public float TopP { get; init; } = 1;

    /// <summary>Keep only the K most likely tokens (0 = off).</summary>
    public int TopK { get; init; }

    /// <summary>Drop tokens less likely than this fraction of the most likely one (0 = off).</summary>
    public float MinP { get; init; }

    /// <summary>Penalty for repeating one of the last 64 tokens (1 = off).</summary>
    public float RepeatPenalty { get; init; } = 1;

    /// <summary>Seed for random sampling; null picks a random seed. Same seed, same request → same text.</summary>
    public uint? Seed { get; init; }
}
