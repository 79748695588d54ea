namespace SlmCluster.Bench.Targets;

/// <summary>Something the load generator can drive: the engine in process, the front door (the gateway over gRPC), or an OpenAI-compatible server.</summary>
internal interface IBenchTarget : IAsyncDisposable
{
    string Name { get; }

    /// <summary>The process serving the target, for its peak RSS; null when it is not ours to read.</summary>
    int? ServingProcessId { get; }

    /// <summary>Streams one completion of exactly <paramref name="maxTokens"/> tokens (end-of-sequence ignored).</summary>
    Task<RequestSample> RunAsync(string prompt, int maxTokens, CancellationToken cancellationToken);
}
