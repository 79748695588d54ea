using SlmCluster.Gateway.Cascade;
using SlmCluster.Gateway.Shadows;

namespace SlmCluster.UnitTests.Gateway.Shadows;

public sealed class ShadowSamplingTests
{
    [Fact]
    public void A_seeded_sampler_shadows_the_configured_share_of_requests_and_picks_the_same_ones_again()
    {
        var first = new ShadowSampler(seed: 33);
        var second = new ShadowSampler(seed: 33);

        var picks = Enumerable.Range(0, 10_000).Select(_ => first.Next(0.02)).ToArray();
        var again = Enumerable.Range(0, 10_000).Select(_ => second.Next(0.02)).ToArray();

        // 2 % of 10 000 is 200; the binomial's standard deviation is 14, so a fair sampler is within 60 of it.
        Assert.InRange(picks.Count(p => p), 140, 260);
        Assert.Equal(picks, again);
    }

    [Fact]
    public void A_rate_of_zero_never_shadows_and_a_rate_of_one_always_does()
    {
        var sampler = new ShadowSampler(seed: 1);

        Assert.DoesNotContain(Enumerable.Range(0, 1000).Select(_ => sampler.Next(0)), p => p);
        Assert.All(Enumerable.Range(0, 1000).Select(_ => sampler.Next(1)), Assert.True);
    }

    [Fact]
    public void A_target_holds_no_more_shadows_than_its_cap_and_frees_a_place_when_one_ends()
    {
        var target = new ShadowTarget("small", new ShadowTargetOptions { Rate = 1, MaxConcurrent = 2, ReferenceModel = "large" });

        Assert.True(target.TryEnter());
        Assert.True(target.TryEnter());
        Assert.False(target.TryEnter());
        target.Leave();
        Assert.True(target.TryEnter());
        Assert.Equal(2, target.Running);
    }

    [Fact]
    public void An_external_reference_is_named_by_its_model_and_asked_through_its_own_client()
    {
        var target = new ShadowTarget("auto", new ShadowTargetOptions
        {
            Rate = 0.05,
            External = new ExternalTierOptions { BaseUrl = "http://127.0.0.1:1/v1", Model = "flagship-1", ApiKey = "sk-never-shown" },
        });

        Assert.Equal("flagship-1", target.Reference);
        Assert.Null(target.ReferenceModel);
        Assert.Equal("cascade:shadow:auto:0", target.ExternalRoute!.Tiers[0].HttpClientName);
        Assert.DoesNotContain("sk-never-shown", target.ExternalRoute.Fingerprint + target.Reference);
    }
}
