namespace SlmCluster.Inference;

/// <summary>Why a generation ended.</summary>
public enum GenerationFinishReason
{
    /// <summary>End-of-generation token or a stop string.</summary>
    Stop,

    /// <summary>Reached the token limit (or the context is full).</summary>
    Length,

    /// <summary>The caller cancelled.</summary>
    Cancelled,
}
