using Microsoft.Extensions.Options;

namespace SlmCluster.Gateway.Shadows;

/// <summary>The configured shadow targets by the route or model id requests name.</summary>
public sealed class ShadowTargets(IOptions<ShadowOptions> options)
{
    private readonly Dictionary<string, ShadowTarget> _targets =
        options.Value.Targets.ToDictionary(t => t.Key, t => new ShadowTarget(t.Key, t.Value), StringComparer.Ordinal);

    public IReadOnlyList<ShadowTarget> All => field ??= [.. _targets.Values.OrderBy(t => t.Name, StringComparer.Ordinal)];

    public bool Any => _targets.Count > 0;

    public ShadowTarget? Find(string id) => _targets.GetValueOrDefault(id);
}
