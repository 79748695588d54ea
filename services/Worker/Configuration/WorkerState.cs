namespace SlmCluster.Worker.Configuration;

/// <summary>Whether this worker takes new requests, and how many it has: what it announces and what draining waits on.</summary>
public sealed class WorkerState
{
    private int _inFlight;
    private long _accepted;
    private volatile bool _draining;

    public bool IsDraining => _draining;

    public int InFlight => Volatile.Read(ref _inFlight);

    public long Accepted => Interlocked.Read(ref _accepted);

    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Counts a request until the returned scope is disposed; null when draining (the caller refuses it).</summary>
    public RequestScope? TryBegin()
    {
        if (_draining)
        {
            return null;
        }

        Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _accepted);
        return new RequestScope(this);
    }

    /// <summary>Stops taking requests; the task completes once the last running one has finished.</summary>
    public Task BeginDrainAsync()
    {
        _draining = true;
        if (InFlight == 0)
        {
            _idle.TrySetResult();
        }

        return _idle.Task;
    }

    private void End()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _draining)
        {
            _idle.TrySetResult();
        }
    }

    public sealed class RequestScope(WorkerState state) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                state.End();
            }
        }
    }
}
