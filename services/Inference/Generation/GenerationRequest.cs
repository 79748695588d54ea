namespace SlmCluster.Inference;

/// <summary>One generation: a raw prompt or a chat, how to sample, and when to stop.</summary>
public sealed record GenerationRequest
{
    /// <summary>Text to continue. Used when <see cref="Messages"/> is null or empty.</summary>
    public string? Prompt { get; init; }

    /// <summary>A chat, rendered with the model's chat template (or <see cref="DefaultChatTemplate"/>) and an assistant prefix.</summary>
    public IReadOnlyList<ChatTurn>? Messages { get; init; }

    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Most tokens to generate (1 to the engine's <see cref="EngineOptions.MaxTokensLimit"/>).</summary>
    public int MaxTokens { get; init; } = 128;

    /// <summary>Strings that end the generation; neither the stop string nor anything after it is returned.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>For benchmarks: keep generating through end-of-sequence tokens until <see cref="MaxTokens"/>.</summary>
    public bool IgnoreEndOfSequence { get; init; }
}
