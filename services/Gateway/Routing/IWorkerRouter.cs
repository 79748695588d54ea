namespace SlmCluster.Gateway.Routing;

/// <summary>Chooses the worker for one attempt of a request.</summary>
public interface IWorkerRouter
{
    /// <summary>
    /// A healthy worker serving the request's model that is not in <paramref name="exclude"/>
    /// (the workers already tried), or null when none is left.
    /// </summary>
    WorkerEndpoint? Pick(in RouteRequest request, IReadOnlyCollection<WorkerEndpoint> exclude);
}
