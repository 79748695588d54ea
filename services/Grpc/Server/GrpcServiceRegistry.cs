using Microsoft.AspNetCore.Http;

namespace SlmCluster.Grpc.Server;

/// <summary>
/// The gRPC services and methods mapped in this application: each service gets an UNIMPLEMENTED fallback, the
/// health service knows their names, and the h2c listener finds a call's handler here by its path.
/// </summary>
internal sealed class GrpcServiceRegistry
{
    private readonly Dictionary<string, RequestDelegate> _services = new(StringComparer.Ordinal); // name -> its UNIMPLEMENTED fallback
    private readonly Dictionary<string, RequestDelegate> _methods = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Records <paramref name="serviceName"/> with what answers calls to its unmapped methods; true the first time it is seen.</summary>
    public bool Add(string serviceName, RequestDelegate fallback)
    {
        lock (_lock)
        {
            return _services.TryAdd(serviceName, fallback);
        }
    }

    public bool Contains(string serviceName)
    {
        lock (_lock)
        {
            return _services.ContainsKey(serviceName);
        }
    }

    /// <summary>Records the handler of one method, by its full path (<c>/package.Service/Method</c>).</summary>
    public void AddMethod(string path, RequestDelegate handler)
    {
        lock (_lock)
        {
            _methods[path] = handler;
        }
    }

    /// <summary>The handler for a call's path: the method's own, its service's fallback, or null when neither is known.</summary>
    public RequestDelegate? Find(string path)
    {
        lock (_lock)
        {
            if (_methods.TryGetValue(path, out var handler))
            {
                return handler;
            }

            var slash = path.Length > 1 ? path.IndexOf('/', 1) : -1;
            return slash > 1 && _services.TryGetValue(path[1..slash], out var fallback) ? fallback : null;
        }
    }
}
