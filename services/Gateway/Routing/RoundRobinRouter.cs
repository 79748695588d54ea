namespace SlmCluster.Gateway.Routing;

/// <summary>Takes the healthy workers serving a model in turn.</summary>
public sealed class RoundRobinRouter(WorkerPool pool) : IWorkerRouter
{
    private uint _next;

    public WorkerEndpoint? Pick(string model, IReadOnlyCollection<WorkerEndpoint> exclude)
    {
        var candidates = pool.Serving(model).Where(w => !exclude.Contains(w)).ToArray();
        if (candidates.Length == 0)
        {
            return null;
        }

        var turn = Interlocked.Increment(ref _next);
        return candidates[(int)(turn % (uint)candidates.Length)];
    }
}
