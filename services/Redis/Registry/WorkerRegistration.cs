namespace SlmCluster.Redis.Registry;

/// <summary>What a worker announces about itself in <c>slm:workers:&lt;id&gt;</c>, refreshed every second.</summary>
public sealed record WorkerRegistration
{
    public required string Id { get; init; }

    /// <summary>Its gRPC endpoint, e.g. <c>http://10.0.0.7:5100</c>.</summary>
    public required string Endpoint { get; init; }

    public required string Model { get; init; }

    public string ModelSha256 { get; init; } = "";

    /// <summary>"cpu", or "cuda:0" for the GPU it is pinned to.</summary>
    public string Device { get; init; } = "cpu";

    public int Slots { get; init; }

    /// <summary>Requests running or queued right now.</summary>
    public int Load { get; init; }

    /// <summary>Requests this worker has accepted since it started.</summary>
    public long RequestsServed { get; init; }

    public string State { get; init; } = WorkerStates.Serving;

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>The states a worker announces.</summary>
public static class WorkerStates
{
    public const string Serving = "serving";

    /// <summary>Finishing what it has; takes no new requests.</summary>
    public const string Draining = "draining";
}
