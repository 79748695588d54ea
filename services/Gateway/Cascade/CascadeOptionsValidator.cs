using System.Globalization;
using Microsoft.Extensions.Options;

namespace SlmCluster.Gateway.Cascade;

/// <summary>
/// Refuses at start a cascade configuration that could not do what it says, naming the key to fix: unknown settings
/// (a typo would otherwise silently turn a rule off), routes without tiers, tiers that are neither or both a cluster
/// model and an external endpoint, missing or misplaced acceptance rules, thresholds that are not numbers, external
/// endpoints with an unusable address, price or timeout. Never repeats an API key.
/// </summary>
public sealed class CascadeOptionsValidator(IConfiguration? section = null) : IValidateOptions<CascadeOptions>
{
    /// <summary>The longest an external tier may be given.</summary>
    public static readonly TimeSpan MaxExternalTimeout = TimeSpan.FromHours(1);

    /// <summary>The shortest an external tier may be given (the resilience pipeline's own lower bound).</summary>
    public static readonly TimeSpan MinExternalTimeout = TimeSpan.FromMilliseconds(10);

    private static readonly string[] SectionKeys = SettingsOf<CascadeOptions>();
    private static readonly string[] RouteKeys = SettingsOf<CascadeRouteOptions>();
    private static readonly string[] TierKeys = SettingsOf<CascadeTierOptions>();
    private static readonly string[] AcceptKeys = SettingsOf<CascadeAcceptOptions>();
    private static readonly string[] ExternalKeys = SettingsOf<ExternalTierOptions>();

    public ValidateOptionsResult Validate(string? name, CascadeOptions options)
    {
        var failures = new List<string>();
        if (section is not null)
        {
            CheckKeys(failures, section, CascadeOptions.SectionName);
        }

        foreach (var (route, config) in options.Routes)
        {
            CheckRoute(failures, options, route, config);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckRoute(List<string> failures, CascadeOptions options, string route, CascadeRouteOptions config)
    {
        var at = $"{CascadeOptions.SectionName}:Routes:{route}";
        if (string.IsNullOrWhiteSpace(route) || route.Trim() != route)
        {
            failures.Add($"{at}: a route's name is the model id clients send; '{route}' is empty or has spaces around it.");
        }

        if (config.Tiers.Count == 0)
        {
            failures.Add($"{at}:Tiers is empty; list the tiers to try, cheapest first (each with a Model the cluster serves, or an External endpoint as the last).");
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Tiers.Count; i++)
        {
            var tier = config.Tiers[i];
            var tierAt = $"{at}:Tiers:{i}";
            var last = i == config.Tiers.Count - 1;
            var hasModel = !string.IsNullOrWhiteSpace(tier.Model);
            if (hasModel == (tier.External is not null))
            {
                failures.Add($"{tierAt} must have exactly one of Model (a model the cluster serves) or External (an OpenAI-compatible endpoint); it has {(hasModel ? "both" : "neither")}.");
            }

            if (hasModel && options.Routes.ContainsKey(tier.Model!))
            {
                failures.Add($"{tierAt}:Model is '{tier.Model}', which is a cascade route; a tier names a model the cluster serves (routes do not nest).");
            }

            var tierName = CascadeTier.NameOf(tier, i);
            if (!names.Add(tierName))
            {
                failures.Add($"{tierAt}:Name '{tierName}' is used by an earlier tier of the route; give each tier its own Name (metrics and responses tell tiers apart by it).");
            }

            if (!last && tier.Accept is null)
            {
                failures.Add($"{tierAt} has no Accept rule; every tier but the last needs one (e.g. \"Accept\": {{ \"MinMeanLogprob\": -1.5 }}; an empty one accepts any non-empty answer).");
            }

            if (last && tier.Accept is not null)
            {
                failures.Add($"{tierAt} is the route's last tier and has an Accept rule; the last tier's answer is returned as it is, never judged. Remove Accept.");
            }

            if (tier.Accept is { } accept)
            {
                CheckThreshold(failures, $"{tierAt}:Accept:MinMeanLogprob", accept.MinMeanLogprob);
                CheckThreshold(failures, $"{tierAt}:Accept:MinTokenLogprob", accept.MinTokenLogprob);
            }

            if (tier.SkipWhenPromptTokensOver is { } limit)
            {
                if (limit < 1)
                {
                    failures.Add($"{tierAt}:SkipWhenPromptTokensOver is {limit}; it must be a positive number of prompt tokens.");
                }

                if (last)
                {
                    failures.Add($"{tierAt}:SkipWhenPromptTokensOver is set on the route's last tier, which has no tier after it to skip to. Remove it.");
                }
                else if (!hasModel)
                {
                    failures.Add($"{tierAt}:SkipWhenPromptTokensOver needs a cluster Model to count the prompt's tokens with.");
                }
            }

            if (tier.External is { } external)
            {
                if (!last)
                {
                    failures.Add($"{tierAt}:External is allowed on the route's last tier only: a tier before it is judged by the token logprobs the cluster's workers report.");
                }

                CheckExternal(failures, $"{tierAt}:External", external);
            }
        }
    }

    private static void CheckThreshold(List<string> failures, string key, double? value)
    {
        if (value is { } v && !double.IsFinite(v))
        {
            failures.Add($"{key} is {v.ToString(CultureInfo.InvariantCulture)}; a threshold is a finite log probability such as -1.5 (leave it out to not check it).");
        }
    }

    private static void CheckExternal(List<string> failures, string at, ExternalTierOptions external)
    {
        if (!Uri.TryCreate(external.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            failures.Add($"{at}:BaseUrl must be an absolute http:// or https:// URL such as https://provider.example/v1; got '{external.BaseUrl}'.");
        }
        else if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            // Credentials or tokens in the URL would end up wherever URLs are logged; the key has its own setting.
            failures.Add($"{at}:BaseUrl must not carry credentials, a query or a fragment; put the key in {at}:ApiKey.");
        }

        if (string.IsNullOrWhiteSpace(external.Model))
        {
            failures.Add($"{at}:Model is empty; set the endpoint's model id (sent as 'model').");
        }

        if (!(external.InputUsdPerMillionTokens >= 0 && double.IsFinite(external.InputUsdPerMillionTokens))
            || !(external.OutputUsdPerMillionTokens >= 0 && double.IsFinite(external.OutputUsdPerMillionTokens)))
        {
            failures.Add($"{at}: InputUsdPerMillionTokens and OutputUsdPerMillionTokens are USD per million tokens and must be 0 or more.");
        }

        if (external.Timeout < MinExternalTimeout || external.Timeout > MaxExternalTimeout)
        {
            failures.Add($"{at}:Timeout is {external.Timeout}; it must be between {MinExternalTimeout.TotalSeconds:0.###} s and {MaxExternalTimeout.TotalHours:0} h (e.g. \"00:00:30\").");
        }
    }

    /// <summary>Every key under the section must be a setting: a typo ("Acept") is reported instead of turning a rule off.</summary>
    private static void CheckKeys(List<string> failures, IConfiguration section, string at)
    {
        Unknown(failures, section, at, SectionKeys, "the cascade section");
        foreach (var route in section.GetSection(nameof(CascadeOptions.Routes)).GetChildren())
        {
            var routeAt = $"{at}:Routes:{route.Key}";
            Unknown(failures, route, routeAt, RouteKeys, "a cascade route");
            if (route[nameof(CascadeRouteOptions.OnLastTierFailure)] is { Length: > 0 } fallback
                && !Enum.TryParse<LastTierFailure>(fallback, ignoreCase: true, out _))
            {
                failures.Add($"{routeAt}:OnLastTierFailure is '{fallback}'; use {string.Join(" or ", Enum.GetNames<LastTierFailure>())}.");
            }

            foreach (var tier in route.GetSection(nameof(CascadeRouteOptions.Tiers)).GetChildren())
            {
                var tierAt = $"{routeAt}:Tiers:{tier.Key}";
                if (!int.TryParse(tier.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    failures.Add($"{tierAt}: Tiers is a list (Tiers:0, Tiers:1, ... or a JSON array); '{tier.Key}' is not an index.");
                    continue;
                }

                Unknown(failures, tier, tierAt, TierKeys, "a cascade tier");
                Unknown(failures, tier.GetSection(nameof(CascadeTierOptions.Accept)), $"{tierAt}:Accept", AcceptKeys, "an acceptance rule");
                Unknown(failures, tier.GetSection(nameof(CascadeTierOptions.External)), $"{tierAt}:External", ExternalKeys, "an external tier");
            }
        }
    }

    /// <summary>The settings of an options type: its properties that configuration binds (those with a public setter), in declaration order.</summary>
    private static string[] SettingsOf<T>() =>
        [.. typeof(T).GetProperties().Where(p => p.SetMethod is { IsPublic: true }).Select(p => p.Name)];

    private static void Unknown(List<string> failures, IConfiguration section, string at, string[] known, string what)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                failures.Add($"{at}:{child.Key} is not a setting of {what}; its settings are {string.Join(", ", known)}.");
            }
        }
    }
}
