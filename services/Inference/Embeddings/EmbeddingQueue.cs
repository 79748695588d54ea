namespace SlmCluster.Inference;

/// <summary>
/// Embedding requests waiting for the engine thread: bounded, first in first out. Queuing one wakes the engine thread
/// through the generation queue's signal, so one thread sleeps on one event for both kinds of work.
/// </summary>
internal sealed class EmbeddingQueue(int capacity, Action wake)
{
    private readonly Lock _lock = new();
    private readonly Queue<EmbeddingJob> _waiting = new();
    private bool _closed;

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

    /// <summary>Caller thread: false when the queue is full or closed.</summary>
    public bool TryEnqueue(EmbeddingJob job)
    {
        lock (_lock)
        {
            if (_closed || _waiting.Count >= capacity)
            {
                return false;
            }
            _waiting.Enqueue(job);
        }
        wake();
        return true;
    }

    /// <summary>Engine thread.</summary>
    public bool TryDequeue(out EmbeddingJob job)
    {
        lock (_lock)
        {
            return _waiting.TryDequeue(out job!);
        }
    }

    /// <summary>Refuses further jobs and hands back the ones still waiting.</summary>
    public List<EmbeddingJob> Close()
    {
        lock (_lock)
        {
            _closed = true;
            var left = new List<EmbeddingJob>(_waiting);
            _waiting.Clear();
            return left;
        }
    }
}
