namespace SlmCluster.Gateway.Cascade;

/// <summary>What a route answers when its last tier fails (or times out) before sending anything.</summary>
public enum LastTierFailure
{
    /// <summary>The caller gets the failure, as a status that names the tier and the cause.</summary>
    Error = 0,

    /// <summary>The caller gets the most confident answer a lower tier gave (it was escalated); the failure if none gave one.</summary>
    BestLowerTier = 1,
}
