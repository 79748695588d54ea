using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Shadows;

namespace SlmCluster.UnitTests.Gateway.Shadows;

public sealed class ShadowOptionsTests
{
    private static IEnumerable<string> Problems(ShadowTargetOptions target) =>
        new ShadowOptionsValidator().Validate(null, new ShadowOptions { Targets = { ["small"] = target } }).Failures ?? [];

    [Fact]
    public void A_target_with_a_rate_and_one_reference_is_accepted()
    {
        Assert.Empty(Problems(new ShadowTargetOptions { Rate = 0.02, ReferenceModel = "large" }));
        Assert.Empty(Problems(new ShadowTargetOptions { Rate = 1, External = new ExternalTierOptions { BaseUrl = "https://provider.test/v1", Model = "big" } }));
    }

    [Fact]
    public void A_rate_outside_zero_to_one_is_refused_naming_its_key()
    {
        Assert.Contains(Problems(new ShadowTargetOptions { Rate = 2, ReferenceModel = "large" }), p => p.StartsWith("Gateway:Shadow:Targets:small:Rate is 2", StringComparison.Ordinal));
        Assert.NotEmpty(Problems(new ShadowTargetOptions { Rate = -0.1, ReferenceModel = "large" }));
        Assert.NotEmpty(Problems(new ShadowTargetOptions { Rate = double.NaN, ReferenceModel = "large" }));
    }

    [Fact]
    public void A_target_needs_exactly_one_reference_other_than_itself()
    {
        Assert.Contains(Problems(new ShadowTargetOptions { Rate = 0.1 }), p => p.Contains("needs exactly one reference", StringComparison.Ordinal));
        Assert.NotEmpty(Problems(new ShadowTargetOptions { Rate = 0.1, ReferenceModel = "large", External = new ExternalTierOptions { BaseUrl = "http://x.test/v1", Model = "m" } }));
        Assert.Contains(Problems(new ShadowTargetOptions { Rate = 0.1, ReferenceModel = "small" }), p => p.Contains("itself", StringComparison.Ordinal));
    }

    [Fact]
    public void An_external_reference_needs_an_http_url_a_model_and_prices_that_are_not_negative()
    {
        var problems = Problems(new ShadowTargetOptions
        {
            Rate = 0.1,
            MaxConcurrent = 0,
            External = new ExternalTierOptions { BaseUrl = "provider.test", Model = "", InputUsdPerMillionTokens = -1 },
        }).ToArray();

        Assert.Equal(4, problems.Length);
        Assert.Contains(problems, p => p.Contains("MaxConcurrent", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("BaseUrl", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains(":Model is empty", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("prices", StringComparison.Ordinal));
    }
}
