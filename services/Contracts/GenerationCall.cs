namespace SlmCluster.Contracts;

/// <summary>A generation request as the front door hands it to a worker grain.</summary>
[GenerateSerializer, Immutable, Alias("slm.GenerationCall")]
public sealed record GenerationCall
{
    /// <summary>Most alternatives a call may ask for at each position; the engine's limit, pinned equal to it by a test.</summary>
    public const int MaxTopLogprobs = 20;

    /// <summary>The model the caller asked for; a worker refuses a request for another model.</summary>
    [Id(0)] public string Model { get; init; } = "";

    /// <summary>A raw prompt; null when <see cref="Messages"/> is set.</summary>
    [Id(1)] public string? Prompt { get; init; }

    /// <summary>Chat turns, rendered with the model's template; null for a raw prompt.</summary>
    [Id(2)] public IReadOnlyList<ChatTurnMessage>? Messages { get; init; }

    /// <summary>0 takes the worker's default.</summary>
    [Id(3)] public int MaxTokens { get; init; }

    [Id(4)] public IReadOnlyList<string> Stop { get; init; } = [];

    [Id(5)] public bool IgnoreEndOfSequence { get; init; }

    /// <summary>0 is greedy.</summary>
    [Id(6)] public float Temperature { get; init; }

    /// <summary>0 or 1 disables nucleus sampling.</summary>
    [Id(7)] public float TopP { get; init; }

    /// <summary>0 disables top-k.</summary>
    [Id(8)] public int TopK { get; init; }

    [Id(9)] public uint? Seed { get; init; }

    /// <summary>Return the log probability of each generated token (log-softmax of the model's logits).</summary>
    [Id(10)] public bool Logprobs { get; init; }

    /// <summary>Also the most likely alternatives at each position, 0 to <see cref="MaxTopLogprobs"/>; the gateway sets <see cref="Logprobs"/> with it.</summary>
    [Id(11)] public int TopLogprobs { get; init; }

    /// <summary>A GBNF grammar (start rule <c>root</c>) the answer must follow; null for free text.</summary>
    [Id(12)] public string? Grammar { get; init; }

    /// <summary>LoRA adapters of the worker's model to run with (name and scale); null or empty runs the base model.</summary>
    [Id(13)] public IReadOnlyList<AdapterSelection>? Adapters { get; init; }

    // Penalties and biases: null (or empty) when the caller did not send them, so a request without them keeps its
    // cache key. Ids from 20, clear of the fields other parts of the contract add.

    /// <summary>OpenAI's presence penalty, -2 to 2; null is off.</summary>
    [Id(20)] public float? PresencePenalty { get; init; }

    /// <summary>OpenAI's frequency penalty, -2 to 2; null is off.</summary>
    [Id(21)] public float? FrequencyPenalty { get; init; }

    /// <summary>llama-server's multiplicative repeat penalty; null (or 1) is off.</summary>
    [Id(22)] public float? RepeatPenalty { get; init; }

    /// <summary>llama-server's <c>repeat_last_n</c>: how many of the last generated tokens the penalties see; -1 is all of them, null the default.</summary>
    [Id(23)] public int? RepeatLastN { get; init; }

    /// <summary>Token id to the bias added to its logit, -100 to 100 (OpenAI's <c>logit_bias</c>); null for none.</summary>
    [Id(24)] public IReadOnlyDictionary<int, float>? LogitBias { get; init; }
}

/// <summary>One chat turn.</summary>
[GenerateSerializer, Immutable, Alias("slm.ChatTurnMessage")]
public sealed record ChatTurnMessage([property: Id(0)] string Role, [property: Id(1)] string Content);
