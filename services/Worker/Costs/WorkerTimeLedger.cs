namespace SlmCluster.Worker.Costs;

/// <summary>
/// Splits the worker's busy time among the requests it holds: at every moment each of the N requests in the worker
/// (running or queued) is charged 1/N of that moment. The charges of all requests add up to the time the worker
/// was busy; idle time is charged to nobody.
/// </summary>
public sealed class WorkerTimeLedger(TimeProvider time)
{
    private readonly Lock _lock = new();
    private long _lastTimestamp = time.GetTimestamp();
    private int _active;
    private double _sharePerRequest;
    private double _busySeconds;

    /// <summary>Seconds in which at least one request was in the worker.</summary>
    public double BusySeconds
    {
        get
        {
            lock (_lock)
            {
                Advance();
                return _busySeconds;
            }
        }
    }

    /// <summary>Starts charging a request; <see cref="Entry.Complete"/> (or disposing the entry) ends it.</summary>
    public Entry Begin()
    {
        lock (_lock)
        {
            Advance();
            _active++;
            return new Entry(this, _sharePerRequest);
        }
    }

    private double End(double startShare)
    {
        lock (_lock)
        {
            Advance();
            _active--;
            return _sharePerRequest - startShare;
        }
    }

    // Integrates dt / active since the last change: the time one request held then.
    private void Advance()
    {
        var now = time.GetTimestamp();
        if (_active > 0)
        {
            var elapsed = time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
            _sharePerRequest += elapsed / _active;
            _busySeconds += elapsed;
        }

        _lastTimestamp = now;
    }

    /// <summary>One request's account.</summary>
    public sealed class Entry(WorkerTimeLedger ledger, double startShare) : IDisposable
    {
        private readonly Lock _lock = new();
        private double? _seconds;

        /// <summary>Stops charging and returns the worker seconds this request used; later calls return the same.</summary>
        public double Complete()
        {
            lock (_lock)
            {
                _seconds ??= ledger.End(startShare);
                return _seconds.Value;
            }
        }

        public void Dispose() => Complete();
    }
}
