namespace SlmCluster.Contracts;

/// <summary>A worker refused or failed a generation for a reason the caller should see (mapped to a gRPC status).</summary>
[GenerateSerializer, Alias("slm.ModelWorkerException")]
public sealed class ModelWorkerException : Exception
{
    public ModelWorkerException()
    {
    }

    public ModelWorkerException(WorkerErrorKind kind, string message, double? retryAfterSeconds = null)
        : base(message)
    {
        Kind = kind;
        RetryAfterSeconds = retryAfterSeconds;
    }

    [Id(0)] public WorkerErrorKind Kind { get; init; } = WorkerErrorKind.Internal;

    /// <summary>For a worker at capacity: when to try again.</summary>
    [Id(1)] public double? RetryAfterSeconds { get; init; }
}

/// <summary>What kind of failure a <see cref="ModelWorkerException"/> is.</summary>
[GenerateSerializer, Alias("slm.WorkerErrorKind")]
public enum WorkerErrorKind
{
    Internal = 0,
    InvalidArgument = 1,
    NotFound = 2,
    ResourceExhausted = 3,
    /// <summary>The worker is draining or its engine stopped: another worker can take the request.</summary>
    Unavailable = 4,
}
