using System.Globalization;

namespace SlmCluster.AppHost.Hosting.Cascade;

/// <summary>
/// A cascade route as the AppHost declares it: a model id clients ask for (<c>auto</c>) that stands for tiers tried
/// in order — cluster models, then optionally an external OpenAI-compatible API — each but the last judged by the
/// confidence of its own tokens. Becomes the gateway's <c>Gateway:Cascade:Routes</c> section, locally and in the
/// published manifests.
/// </summary>
public sealed record CascadeRouteDeclaration(string Route, IReadOnlyList<CascadeTierDeclaration> Tiers)
{
    /// <summary>The configuration key of the external tier's API key, which comes from a secret, never a plain value.</summary>
    public string? ApiKeyVariable =>
        Tiers.Select((tier, i) => (tier, i)).Where(t => t.tier.External is not null)
            .Select(t => $"{Prefix}__Tiers__{t.i}__External__ApiKey").FirstOrDefault();

    private string Prefix => ClusterSettings.Keys.Gateway.CascadeRoute(Route);

    /// <summary>The gateway's environment for this route, every value but the API key.</summary>
    public IEnumerable<KeyValuePair<string, string>> Environment()
    {
        for (var i = 0; i < Tiers.Count; i++)
        {
            var tier = Tiers[i];
            var key = $"{Prefix}__Tiers__{i}";
            yield return new($"{key}__Name", tier.Name);
            if (tier.Model is { } model)
            {
                yield return new($"{key}__Model", model);
            }

            if (i < Tiers.Count - 1)
            {
                if (tier.MinMeanLogprob is { } mean)
                {
                    yield return new($"{key}__Accept__MinMeanLogprob", Number(mean));
                }

                if (tier.MinTokenLogprob is { } min)
                {
                    yield return new($"{key}__Accept__MinTokenLogprob", Number(min));
                }

                if (tier.SkipWhenPromptTokensOver is { } tokens)
                {
                    yield return new($"{key}__SkipWhenPromptTokensOver", Number(tokens));
                }
            }

            if (tier.External is { } external)
            {
                yield return new($"{key}__External__BaseUrl", external.BaseUrl);
                yield return new($"{key}__External__Model", external.Model);
                yield return new($"{key}__External__InputUsdPerMillionTokens", Number(external.InputUsdPerMillionTokens));
                yield return new($"{key}__External__OutputUsdPerMillionTokens", Number(external.OutputUsdPerMillionTokens));
                yield return new($"{key}__External__Timeout", external.Timeout.ToString("c", CultureInfo.InvariantCulture));
            }
        }
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>One tier: a model the cluster serves, or an external endpoint.</summary>
/// <param name="MinMeanLogprob">Accept the tier's answer only when its mean token logprob reaches this.</param>
/// <param name="MinTokenLogprob">... and no token of it is less likely than this.</param>
/// <param name="SkipWhenPromptTokensOver">Longer prompts go straight to the next tier.</param>
public sealed record CascadeTierDeclaration(
    string Name,
    string? Model,
    double? MinMeanLogprob = null,
    double? MinTokenLogprob = null,
    int? SkipWhenPromptTokensOver = null,
    ExternalTierDeclaration? External = null);

/// <summary>An OpenAI-compatible API (the flagship) and its list prices.</summary>
public sealed record ExternalTierDeclaration(
    string BaseUrl,
    string Model,
    double InputUsdPerMillionTokens,
    double OutputUsdPerMillionTokens,
    TimeSpan Timeout);
