using Microsoft.Extensions.Options;

namespace SlmCluster.Gateway.Configuration;

/// <summary>Checks what data annotations cannot: the API keys and rate limits, with messages that say what to fix.</summary>
public sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        var hashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            if (string.IsNullOrWhiteSpace(key.Tenant))
            {
                failures.Add($"Gateway:ApiKeys:{i}:Tenant is empty; name the tenant the key stands for.");
            }

            if (key.KeySha256.Length != 64 || !key.KeySha256.All(char.IsAsciiHexDigit))
            {
                failures.Add($"Gateway:ApiKeys:{i}:KeySha256 must be the 64 hex digits of the key's SHA-256 (printf %s \"$KEY\" | sha256sum), not the key itself.");
            }
            else if (!hashes.Add(key.KeySha256))
            {
                failures.Add($"Gateway:ApiKeys:{i}:KeySha256 repeats an earlier key; one key maps to one tenant.");
            }
        }

        Check(failures, "Gateway:RateLimits", options.RateLimits.RequestsPerMinute, options.RateLimits.RequestBurst, options.RateLimits.TokensPerMinute);
        foreach (var (tenant, limits) in options.RateLimits.Tenants)
        {
            Check(failures, $"Gateway:RateLimits:Tenants:{tenant}", limits.RequestsPerMinute, limits.RequestBurst, limits.TokensPerMinute);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, string section, int? requestsPerMinute, int? burst, int? tokensPerMinute)
    {
        if (requestsPerMinute < 0 || burst < 0 || tokensPerMinute < 0)
        {
            failures.Add($"{section}: RequestsPerMinute, RequestBurst and TokensPerMinute must be 0 (off) or positive.");
        }
    }
}
