using Orleans.Placement;

namespace SlmCluster.Contracts.Placement;

/// <summary>
/// Places a grain on the silo its key names (the silo address as <c>SiloAddress.ToParsableString()</c> writes it),
/// and nowhere else: a grain for a silo that is gone cannot be activated.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("slm.SiloPinnedPlacement")]
public sealed class SiloPinnedPlacement : PlacementStrategy
{
    public static SiloPinnedPlacement Instance { get; } = new();
}

/// <summary>Marks a grain class as placed by <see cref="SiloPinnedPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloPinnedPlacementAttribute() : PlacementAttribute(SiloPinnedPlacement.Instance);
