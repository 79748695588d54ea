namespace SlmCluster.Testing;

/// <summary>How a <see cref="LocalRedisServer"/> runs.</summary>
public sealed record LocalRedisOptions
{
    /// <summary>
    /// An append-only file in a directory of its own, every write on disk before it is answered: a restarted server
    /// comes back with what it held, as the product's Redis does.
    /// </summary>
    public bool Durable { get; init; }

    /// <summary>What runs the server, e.g. <c>taskset -c 1-3</c> to keep it off a measured core.</summary>
    public IReadOnlyList<string> Launcher { get; init; } = [];

    /// <summary>Receives each line the server writes.</summary>
    public Action<string>? Output { get; init; }
}
