namespace SlmCluster.Gateway.Routing;

/// <summary>Chooses the worker for one attempt of a request.</summary>
public interface IWorkerRouter
{
    /// <summary>
    /// A healthy worker serving the request's model that is not in <paramref name="exclude"/> (the workers already
    /// tried), already counted as outstanding in the same step as the choice, so requests arriving together see each
    /// other; dispose the lease when the call ends. Null when no worker is left.
    /// </summary>
    RoutedWorker.Lease? Acquire(in RouteRequest request, IReadOnlyCollection<RoutedWorker> exclude);
}
