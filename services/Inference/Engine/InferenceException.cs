namespace SlmCluster.Inference;

/// <summary>A request the engine could not serve, with a message a person can act on.</summary>
public sealed class InferenceException : Exception
{
    public InferenceException(InferenceErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public InferenceErrorKind Kind { get; }

    /// <summary>For <see cref="InferenceErrorKind.ResourceExhausted"/>: a hint for when to retry.</summary>
    public TimeSpan? RetryAfter { get; init; }
}
