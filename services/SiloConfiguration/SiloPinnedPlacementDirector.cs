using Orleans.Runtime.Placement;
using SlmCluster.Contracts.Placement;

namespace SlmCluster.SiloConfiguration;

/// <summary>
/// Places a <see cref="SiloPinnedPlacement"/> grain on the silo named by its key, if that silo is alive and can host
/// the grain; otherwise the call fails instead of activating the grain somewhere it was not meant to live.
/// </summary>
internal sealed class SiloPinnedPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString();
        SiloAddress silo;
        try
        {
            silo = SiloAddress.FromParsableString(key);
        }
        catch (FormatException e)
        {
            throw new OrleansException($"Grain {target.GrainIdentity} is pinned to a silo, but its key '{key}' is not a silo address.", e);
        }

        if (!context.GetCompatibleSilos(target).Contains(silo))
        {
            throw new SiloUnavailableException($"Grain {target.GrainIdentity} is pinned to silo {silo}, which is not an active silo hosting it.");
        }

        return Task.FromResult(silo);
    }
}
