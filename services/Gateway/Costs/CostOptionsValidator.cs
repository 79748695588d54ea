using Microsoft.Extensions.Options;

namespace SlmCluster.Gateway.Costs;

/// <summary>Refuses a price table the cost figures could not be trusted with, at start.</summary>
public sealed class CostOptionsValidator : IValidateOptions<CostOptions>
{
    public ValidateOptionsResult Validate(string? name, CostOptions options)
    {
        var failures = new List<string>();
        if (!options.ReferenceApis.ContainsKey(options.DefaultApi))
        {
            failures.Add($"Gateway:Cost:DefaultApi is '{options.DefaultApi}', which is not in Gateway:Cost:ReferenceApis " +
                $"({string.Join(", ", options.ReferenceApis.Keys.Order(StringComparer.Ordinal))}).");
        }

        foreach (var (id, price) in options.ReferenceApis)
        {
            if (price.InputPerMillion is < 0 or double.NaN || price.OutputPerMillion is < 0 or double.NaN)
            {
                failures.Add($"Gateway:Cost:ReferenceApis:{id} has a negative price; prices are USD per million tokens.");
            }
        }

        if (options.EmbeddingsPerMillion is < 0 or double.NaN)
        {
            failures.Add($"Gateway:Cost:EmbeddingsPerMillion is {options.EmbeddingsPerMillion}; it is USD per million tokens, 0 or more.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
