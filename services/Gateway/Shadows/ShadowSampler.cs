namespace SlmCluster.Gateway.Shadows;

/// <summary>
/// Draws which requests are shadowed: one uniform draw per answered request of a shadowed target, from one generator
/// seeded by <c>Gateway:Shadow:Seed</c> when it is set, so that the same sequence of requests picks the same ones.
/// </summary>
public sealed class ShadowSampler(int? seed)
{
    private readonly Random _random = seed is { } value ? new Random(value) : new Random();
    private readonly Lock _lock = new();

    /// <summary>True for a share <paramref name="rate"/> of calls; 0 never draws (the sequence of others is kept), 1 always.</summary>
    public bool Next(double rate)
    {
        if (rate <= 0)
        {
            return false;
        }

        lock (_lock)
        {
            return _random.NextDouble() < rate;
        }
    }
}
