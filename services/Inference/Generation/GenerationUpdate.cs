namespace SlmCluster.Inference;

/// <summary>
/// A piece of generated text. Pieces arrive in order; the last update, and only it, carries
/// <see cref="Final"/> (its <see cref="Text"/> may be empty).
/// </summary>
public sealed record GenerationUpdate(string Text, GenerationResult? Final)
{
    /// <summary>
    /// When the request asked for logprobs: one entry per generated token whose text this update releases, in order
    /// (text held back for a stop string or an unfinished character brings its tokens' entries with it later; the final
    /// update carries the rest, and never the tokens a stop string cut away). Null when the request did not ask, and
    /// on updates that release no token whole.
    /// </summary>
    public IReadOnlyList<GeneratedToken>? Logprobs { get; init; }
}
