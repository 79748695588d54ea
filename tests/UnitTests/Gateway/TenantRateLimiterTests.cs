using Grpc.Core;
using System.Globalization;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Hosting;
using SlmCluster.Gateway.Security;

namespace SlmCluster.UnitTests.Gateway;

public sealed class TenantRateLimiterTests
{
    private readonly ManualTimeProvider _time = new();

    private TenantRateLimiter Limiter(RateLimitOptions limits) => new(Options.Create(new GatewayOptions { RateLimits = limits }), _time);

    [Fact]
    public void Requests_over_the_per_minute_limit_are_resource_exhausted_with_retry_after_and_each_tenant_counts_alone()
    {
        using var limiter = Limiter(new RateLimitOptions { RequestsPerMinute = 2 });
        limiter.Admit("a");
        limiter.Admit("a");

        var e = Assert.Throws<RpcException>(() => limiter.Admit("a"));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("Tenant 'a' has made its 2 requests per minute", e.Status.Detail);
        Assert.InRange(int.Parse(e.Trailers.GetValue(TenantRateLimiter.RetryAfterKey)!, CultureInfo.InvariantCulture), 1, 30);
        limiter.Admit("b");
    }

    [Fact]
    public void A_tenant_override_replaces_the_default_and_zero_means_unlimited()
    {
        using var limiter = Limiter(new RateLimitOptions
        {
            RequestsPerMinute = 1,
            Tenants = { ["batch"] = new TenantRateLimitOptions { RequestsPerMinute = 0 }, ["tight"] = new TenantRateLimitOptions { RequestBurst = 1, RequestsPerMinute = 600 } },
        });

        for (var i = 0; i < 100; i++)
        {
            limiter.Admit("batch");
        }

        limiter.Admit("tight");
        Assert.Throws<RpcException>(() => limiter.Admit("tight"));
        Assert.True(limiter.IsEnabled);
    }

    [Fact]
    public void Without_limits_nothing_is_refused()
    {
        using var limiter = Limiter(new RateLimitOptions());

        for (var i = 0; i < 1000; i++)
        {
            limiter.Admit("anyone");
            limiter.Charge("anyone", 1_000_000);
        }

        Assert.False(limiter.IsEnabled);
    }

    [Fact]
    public void A_tenant_that_overdraws_its_token_budget_is_refused_until_it_refills()
    {
        using var limiter = Limiter(new RateLimitOptions { TokensPerMinute = 60 });
        limiter.Admit("a");
        limiter.Charge("a", 100); // 40 tokens in debt: a token a second pays it back

        var e = Assert.Throws<RpcException>(() => limiter.Admit("a"));
        Assert.Contains("used its 60 tokens per minute", e.Status.Detail);
        Assert.Equal("41", e.Trailers.GetValue(TenantRateLimiter.RetryAfterKey));
        limiter.Admit("b");

        _time.Advance(TimeSpan.FromSeconds(40));
        Assert.Throws<RpcException>(() => limiter.Admit("a"));
        _time.Advance(TimeSpan.FromSeconds(1.5));
        limiter.Admit("a");
    }

    [Fact]
    public void An_idle_tenant_saves_up_at_most_one_minute_of_tokens()
    {
        using var limiter = Limiter(new RateLimitOptions { TokensPerMinute = 60 });
        _time.Advance(TimeSpan.FromHours(1));

        limiter.Charge("a", 60);

        Assert.Throws<RpcException>(() => limiter.Admit("a"));
    }
}
