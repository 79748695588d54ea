namespace SlmCluster.Inference;

/// <summary>What kind of failure an <see cref="InferenceException"/> is; maps onto gRPC status codes.</summary>
public enum InferenceErrorKind
{
    /// <summary>The request is wrong (INVALID_ARGUMENT).</summary>
    InvalidArgument,

    /// <summary>The engine is full; retry later or elsewhere (RESOURCE_EXHAUSTED).</summary>
    ResourceExhausted,

    /// <summary>The engine is shutting down or gone (UNAVAILABLE).</summary>
    Unavailable,

    /// <summary>llama.cpp failed (INTERNAL).</summary>
    Internal,
}
