using SlmCluster.Gateway.Configuration;

namespace SlmCluster.UnitTests.Gateway;

public sealed class GatewayOptionsValidatorTests
{
    private const string Hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    private static IEnumerable<string> Failures(GatewayOptions options) =>
        new GatewayOptionsValidator().Validate(null, options).Failures ?? [];

    [Fact]
    public void Hashed_keys_and_non_negative_limits_are_valid()
    {
        var options = new GatewayOptions
        {
            ApiKeys = [new ApiKeyOptions { Tenant = "a", KeySha256 = Hash }],
            RateLimits = new RateLimitOptions { RequestsPerMinute = 10, Tenants = { ["a"] = new TenantRateLimitOptions { TokensPerMinute = 0 } } },
        };

        Assert.Empty(Failures(options));
    }

    [Fact]
    public void A_key_in_plain_text_is_refused_with_how_to_hash_it()
    {
        var failure = Assert.Single(Failures(new GatewayOptions { ApiKeys = [new ApiKeyOptions { Tenant = "a", KeySha256 = "sk-live-secret" }] }));

        Assert.Contains("Gateway:ApiKeys:0:KeySha256 must be the 64 hex digits", failure);
        Assert.Contains("sha256sum", failure);
        Assert.DoesNotContain("sk-live-secret", failure);
    }

    [Fact]
    public void A_key_without_a_tenant_or_listed_twice_is_refused()
    {
        var failures = Failures(new GatewayOptions
        {
            ApiKeys = [new ApiKeyOptions { Tenant = " ", KeySha256 = Hash }, new ApiKeyOptions { Tenant = "b", KeySha256 = Hash.ToUpperInvariant() }],
        }).ToList();

        Assert.Contains(failures, f => f.Contains("Gateway:ApiKeys:0:Tenant is empty"));
        Assert.Contains(failures, f => f.Contains("Gateway:ApiKeys:1:KeySha256 repeats an earlier key"));
    }

    [Fact]
    public void Negative_rate_limits_are_refused_naming_the_section()
    {
        var failures = Failures(new GatewayOptions
        {
            RateLimits = new RateLimitOptions { TokensPerMinute = -1, Tenants = { ["x"] = new TenantRateLimitOptions { RequestsPerMinute = -5 } } },
        }).ToList();

        Assert.Contains(failures, f => f.StartsWith("Gateway:RateLimits:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Gateway:RateLimits:Tenants:x:", StringComparison.Ordinal));
    }
}
