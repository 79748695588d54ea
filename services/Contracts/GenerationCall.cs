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
}

/// <summary>One chat turn.</summary>
[GenerateSerializer, Immutable, Alias("slm.ChatTurnMessage")]
public sealed record ChatTurnMessage([property: Id(0)] string Role, [property: Id(1)] string Content);
