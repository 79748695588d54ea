namespace SlmCluster.Gateway.Routing;

/// <summary>Chooses the worker for one attempt of a request.</summary>
public interface IWorkerRouter
{
    /// <summary>A healthy worker serving <paramref name="model"/> that is not in <paramref name="exclude"/>, or null when none is left.</summary>
    WorkerEndpoint? Pick(string model, IReadOnlyCollection<WorkerEndpoint> exclude);
}
