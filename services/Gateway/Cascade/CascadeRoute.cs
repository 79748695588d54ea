using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SlmCluster.Gateway.Cascade;

/// <summary>A configured route as the gateway runs it.</summary>
public sealed class CascadeRoute
{
    public CascadeRoute(string name, CascadeRouteOptions options)
    {
        Name = name;
        OnLastTierFailure = options.OnLastTierFailure;
        Tiers = options.Tiers.Select((tier, i) => new CascadeTier(name, i, tier, i == options.Tiers.Count - 1)).ToArray();
        Fingerprint = FingerprintOf(this);
    }

    /// <summary>The model id clients send.</summary>
    public string Name { get; }

    public IReadOnlyList<CascadeTier> Tiers { get; }

    public CascadeTier LastTier => Tiers[^1];

    public LastTierFailure OnLastTierFailure { get; }

    /// <summary>
    /// A hash of everything in the route's configuration that decides which answer a request gets (tiers, models,
    /// thresholds, endpoints; never the API key): part of its response cache key, so a changed route does not answer
    /// from entries its old shape made.
    /// </summary>
    public string Fingerprint { get; }

    private static string FingerprintOf(CascadeRoute route)
    {
        var text = new StringBuilder().Append(route.Name).Append('\n').Append(route.OnLastTierFailure).Append('\n');
        foreach (var tier in route.Tiers)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{tier.Name}|{tier.Model}|{tier.Accept?.MinMeanLogprob}|{tier.Accept?.MinTokenLogprob}|{tier.Accept is not null}|{tier.SkipWhenPromptTokensOver}|{tier.External?.BaseUrl}|{tier.External?.Model}\n");
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }
}
