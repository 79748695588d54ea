namespace SlmCluster.Inference;

/// <summary>One text to embed: a string (tokenized with the model's special tokens, such as BOS) or token ids as sent.</summary>
public sealed record EmbeddingInput
{
    public string? Text { get; init; }

    public IReadOnlyList<int>? Tokens { get; init; }

    public static EmbeddingInput OfText(string text) => new() { Text = text };

    public static EmbeddingInput OfTokens(IReadOnlyList<int> tokens) => new() { Tokens = tokens };
}
