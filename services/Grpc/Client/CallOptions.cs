namespace SlmCluster.Grpc;

/// <summary>Per-call settings: custom request metadata, a deadline (UTC), and a token that cancels the call.</summary>
public readonly record struct CallOptions(
    Metadata? Headers = null,
    DateTime? Deadline = null,
    CancellationToken CancellationToken = default);
