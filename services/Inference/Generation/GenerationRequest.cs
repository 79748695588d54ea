namespace SlmCluster.Inference;

/// <summary>One generation: a raw prompt or a chat, how to sample, and when to stop.</summary>
public sealed record GenerationRequest
{
    /// <summary>Most alternatives <see cref="TopLogprobs"/> may ask for.</summary>
    public const int MaxTopLogprobs = 20;

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

    /// <summary>
    /// Report each generated token's log probability (<see cref="GenerationUpdate.Logprobs"/>): the log-softmax of the
    /// model's raw logits at that position, the model's own distribution before the sampler's repeat penalty,
    /// temperature, top-k, top-p and min-p, as OpenAI reports logprobs. Off, it costs nothing.
    /// </summary>
    public bool Logprobs { get; init; }

    /// <summary>Also report the most likely tokens at each position, 0 to <see cref="MaxTopLogprobs"/>; more than 0 implies <see cref="Logprobs"/>.</summary>
    public int TopLogprobs { get; init; }

    /// <summary>
    /// A GBNF grammar (start rule <c>root</c>) the generated text must follow, or null for none. The engine ends the
    /// generation with <see cref="GenerationFinishReason.Stop"/> when the grammar is complete; a grammar llama.cpp
    /// cannot parse is refused before the request is queued.
    /// </summary>
    public string? Grammar { get; init; }

    /// <summary>
    /// LoRA adapters of the engine (<see cref="LlamaEngine.Adapters"/>) to run with, by name, each with its scale; empty
    /// runs the base model. An unknown name, a name twice or a scale past <see cref="AdapterChoice.MaxScale"/> is refused.
    /// </summary>
    public IReadOnlyList<AdapterChoice> Adapters { get; init; } = [];

    /// <summary>Whether updates carry logprobs (<see cref="Logprobs"/>, or alternatives asked for).</summary>
    public bool WantsLogprobs => Logprobs || TopLogprobs > 0;
}
