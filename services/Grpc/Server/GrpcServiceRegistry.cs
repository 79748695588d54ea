namespace SlmCluster.Grpc.Server;

/// <summary>The gRPC services mapped in this application: each gets an UNIMPLEMENTED fallback, and the health service knows their names.</summary>
internal sealed class GrpcServiceRegistry
{
    private readonly HashSet<string> _services = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Records <paramref name="serviceName"/>; true the first time it is seen.</summary>
    public bool Add(string serviceName)
    {
        lock (_lock)
        {
            return _services.Add(serviceName);
        }
    }

    public bool Contains(string serviceName)
    {
        lock (_lock)
        {
            return _services.Contains(serviceName);
        }
    }
}
