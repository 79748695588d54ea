namespace SlmCluster.Inference;

/// <summary>
/// Requests waiting for a free sequence slot: bounded (a full queue refuses instead of making callers wait
/// forever), first in first out, and able to wake the engine thread the moment work arrives. The lock is only
/// held for queue operations, never across a decode.
/// </summary>
internal sealed class AdmissionQueue
{
    private readonly Lock _lock = new();
    private readonly Queue<GenerationJob> _waiting;
    private readonly int _capacity;
    private readonly SemaphoreSlim _workArrived = new(0);
    private int _cancelledWhileWaiting;
    private bool _closed;

    public AdmissionQueue(int capacity)
    {
        _capacity = capacity;
        _waiting = new Queue<GenerationJob>(capacity);
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>Caller thread: queues <paramref name="job"/> and wakes the engine; false when the queue is full or closed.</summary>
    public bool TryEnqueue(GenerationJob job)
    {
        lock (_lock)
        {
            if (_closed || _waiting.Count >= _capacity)
            {
                return false;
            }
            _waiting.Enqueue(job);
        }
        // A job cancelled while it waits is answered at the next engine step rather than when a slot frees up.
        job.CancellationToken.UnsafeRegister(static state => ((AdmissionQueue)state!).OnWaitingJobCancelled(), this);
        _workArrived.Release();
        return true;
    }

    /// <summary>Engine thread: the oldest waiting job, if any.</summary>
    public bool TryDequeue(out GenerationJob job)
    {
        lock (_lock)
        {
            return _waiting.TryDequeue(out job!);
        }
    }

    /// <summary>Engine thread: removes the waiting jobs whose callers cancelled; they go to <paramref name="cancelled"/>.</summary>
    public void RemoveCancelled(List<GenerationJob> cancelled)
    {
        if (Volatile.Read(ref _cancelledWhileWaiting) == 0)
        {
            return;
        }
        Interlocked.Exchange(ref _cancelledWhileWaiting, 0);
        lock (_lock)
        {
            int count = _waiting.Count;
            for (int i = 0; i < count; i++)
            {
                GenerationJob job = _waiting.Dequeue();
                if (job.CancellationToken.IsCancellationRequested)
                {
                    cancelled.Add(job);
                }
                else
                {
                    _waiting.Enqueue(job);
                }
            }
        }
    }

    /// <summary>Engine thread: sleeps until a job is queued (or one was queued since the last wait) or <paramref name="stopping"/> fires.</summary>
    public void WaitForWork(CancellationToken stopping) => _workArrived.Wait(stopping);

    /// <summary>Any thread: wakes the engine thread for work that does not pass through this queue (embeddings).</summary>
    public void Wake() => _workArrived.Release();

    /// <summary>Refuses further jobs and hands back the ones still waiting.</summary>
    public List<GenerationJob> Close()
    {
        lock (_lock)
        {
            _closed = true;
            var left = new List<GenerationJob>(_waiting);
            _waiting.Clear();
            return left;
        }
    }

    private void OnWaitingJobCancelled()
    {
        Interlocked.Exchange(ref _cancelledWhileWaiting, 1);
        _workArrived.Release();
    }
}
