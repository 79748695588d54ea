using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Cascade;

namespace SlmCluster.Gateway.Shadows;

/// <summary>Refuses a shadow configuration the gateway could not follow, naming the key to change; checked at start.</summary>
public sealed class ShadowOptionsValidator : IValidateOptions<ShadowOptions>
{
    public ValidateOptionsResult Validate(string? name, ShadowOptions options)
    {
        var problems = new List<string>();
        foreach (var (target, config) in options.Targets)
        {
            var key = $"{ShadowOptions.SectionName}:Targets:{target}";
            if (double.IsNaN(config.Rate) || config.Rate is < 0 or > 1)
            {
                problems.Add($"{key}:Rate is {config.Rate}; it is the share of requests shadowed, from 0 to 1 (0.02 is one in fifty).");
            }

            if (config.MaxConcurrent is < 1 or > 1024)
            {
                problems.Add($"{key}:MaxConcurrent is {config.MaxConcurrent}; it must be from 1 to 1024.");
            }

            var hasModel = !string.IsNullOrWhiteSpace(config.ReferenceModel);
            if (hasModel == (config.External is not null))
            {
                problems.Add($"{key} needs exactly one reference: ReferenceModel (a cluster model) or External (an OpenAI-compatible endpoint).");
            }

            if (hasModel && config.ReferenceModel == target)
            {
                problems.Add($"{key}:ReferenceModel is '{target}' itself; a reference must be another model.");
            }

            if (config.External is { } external)
            {
                problems.AddRange(ExternalProblems($"{key}:External", external));
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static IEnumerable<string> ExternalProblems(string key, ExternalTierOptions external)
    {
        if (!Uri.TryCreate(external.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            yield return $"{key}:BaseUrl '{external.BaseUrl}' is not an absolute http or https URL.";
        }

        if (string.IsNullOrWhiteSpace(external.Model))
        {
            yield return $"{key}:Model is empty; it is the provider's model id.";
        }

        if (external.InputUsdPerMillionTokens < 0 || external.OutputUsdPerMillionTokens < 0)
        {
            yield return $"{key}: prices must not be negative.";
        }

        if (external.Timeout < CascadeOptionsValidator.MinExternalTimeout || external.Timeout > CascadeOptionsValidator.MaxExternalTimeout)
        {
            yield return $"{key}:Timeout is {external.Timeout}; it must be from {CascadeOptionsValidator.MinExternalTimeout} to {CascadeOptionsValidator.MaxExternalTimeout}.";
        }
    }
}
