namespace SlmCluster.Worker.Grains;

/// <summary>
/// Counts activations of this silo's worker grain. The grain is activated once when the silo starts; a second
/// activation means it was lost and made again (exported as <c>slm_worker_grain_activations_total</c>).
/// </summary>
public sealed class WorkerGrainActivations
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Counts one activation and returns its number.</summary>
    public int Activated() => Interlocked.Increment(ref _count);
}
