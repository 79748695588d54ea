using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Costs;

namespace SlmCluster.UnitTests.Gateway;

/// <summary>Reference API costs, checked against sums worked out by hand from the list prices.</summary>
public sealed class ReferencePricingTests
{
    private static readonly CostOptions Defaults = new();

    [Theory]
    // 1,000 × $2.50/M + 500 × $15.00/M = $0.0025 + $0.0075
    [InlineData("gpt-5.4", 1_000, 500, 0.01)]
    // 120 × $0.75/M + 80 × $4.50/M = $0.00009 + $0.00036
    [InlineData("gpt-5.4-mini", 120, 80, 0.00045)]
    // 1,000,000 × $1.00/M, nothing generated
    [InlineData("claude-haiku-4.5", 1_000_000, 0, 1.00)]
    // 2,000,000 × $5.00/M + 1,000,000 × $25.00/M = $10 + $25
    [InlineData("claude-opus-4.7", 2_000_000, 1_000_000, 35.00)]
    public void Tokens_cost_their_list_price_per_million(string api, long prompt, long completion, double expected)
    {
        Assert.Equal(expected, Defaults.ReferenceApis[api].CostOf(prompt, completion), precision: 12);
    }

    [Fact]
    public void The_default_reference_is_GPT_5_4()
    {
        var pricing = new ReferencePricing(Options.Create(new CostOptions()));

        Assert.Equal("gpt-5.4", pricing.DefaultApi);
        // 64 prompt tokens and 128 generated at $2.50/M in and $15.00/M out: $0.00016 + $0.00192
        Assert.Equal(0.00208, pricing.DefaultCostOf(64, 128), precision: 12);
    }

    [Fact]
    public void A_default_api_missing_from_the_table_is_refused_at_start()
    {
        var result = new CostOptionsValidator().Validate(null, new CostOptions { DefaultApi = "gpt-9" });

        Assert.True(result.Failed);
        Assert.Contains("gpt-9", result.FailureMessage);
    }

    [Fact]
    public void A_negative_price_is_refused()
    {
        var options = new CostOptions();
        options.ReferenceApis["cheap"] = new ReferenceApiPrice { Name = "Cheap", InputPerMillion = -1, OutputPerMillion = 1 };

        Assert.True(new CostOptionsValidator().Validate(null, options).Failed);
    }
}
