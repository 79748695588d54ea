using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using SlmCluster.Gateway.Configuration;
using SlmCluster.Gateway.Security;

namespace SlmCluster.UnitTests.Gateway.Security;

public sealed class TenantRateLimitPolicyTests : IDisposable
{
    private readonly ManualTimeProvider _time = new();
    private ServiceProvider? _services;

    public void Dispose() => _services?.Dispose();

    private TenantRateLimitPolicy Policy(RateLimitOptions limits)
    {
        _services = GatewaySecurityHost.Build(new GatewayOptions { RateLimits = limits }, _time);
        return _services.GetRequiredService<TenantRateLimitPolicy>();
    }

    /// <summary>What the rate limiting middleware does for one request: the tenant's partition, then a permit from it.</summary>
    private bool Admits(TenantRateLimitPolicy policy, string tenant) => Acquire(policy, tenant).IsAcquired;

    private RateLimitLease Acquire(TenantRateLimitPolicy policy, string tenant)
    {
        var partition = policy.GetPartition(GatewaySecurityHost.Request(_services!, tenant: tenant));
        return partition.Factory(partition.PartitionKey).AttemptAcquire();
    }

    /// <summary>A request of <paramref name="tenant"/> that its limits refuse, answered as the middleware has it answered.</summary>
    private async Task<HttpContext> RefusedAsync(TenantRateLimitPolicy policy, string tenant, bool grpc = false)
    {
        var lease = Acquire(policy, tenant);
        Assert.False(lease.IsAcquired);
        var context = GatewaySecurityHost.Request(_services!, tenant: tenant, grpc: grpc);
        await policy.OnRejected!(new OnRejectedContext { HttpContext = context, Lease = lease }, CancellationToken.None);
        return context;
    }

    [Fact]
    public async Task Requests_over_the_per_minute_limit_are_429_with_retry_after_and_each_tenant_counts_alone()
    {
        var policy = Policy(new RateLimitOptions { RequestsPerMinute = 2 });
        Assert.True(Admits(policy, "a"));
        Assert.True(Admits(policy, "a"));

        var refused = await RefusedAsync(policy, "a");

        Assert.Equal(StatusCodes.Status429TooManyRequests, refused.Response.StatusCode);
        Assert.InRange(int.Parse(refused.Response.Headers.RetryAfter.ToString(), CultureInfo.InvariantCulture), 1, 30);
        var error = GatewaySecurityHost.ErrorOf(refused);
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("Tenant 'a' has made its 2 requests per minute", error.GetProperty("message").GetString());
        Assert.True(Admits(policy, "b"));
    }

    [Fact]
    public async Task Over_gRPC_a_refused_generation_is_RESOURCE_EXHAUSTED_with_a_retry_after_trailer()
    {
        var policy = Policy(new RateLimitOptions { RequestsPerMinute = 1 });
        Assert.True(Admits(policy, "café"));

        var refused = await RefusedAsync(policy, "café", grpc: true);

        Assert.Equal(StatusCodes.Status200OK, refused.Response.StatusCode);
        Assert.Equal("application/grpc", refused.Response.ContentType);
        Assert.Equal("8", refused.Response.Headers["grpc-status"]);
        // grpc-message is percent-encoded: a header carries ASCII only, the client decodes the tenant's name back.
        var message = refused.Response.Headers["grpc-message"].ToString();
        Assert.True(message.All(char.IsAscii));
        Assert.Contains("Tenant 'café' has made its 1 requests per minute", Uri.UnescapeDataString(message));
        Assert.InRange(int.Parse(refused.Response.Headers["retry-after"].ToString(), CultureInfo.InvariantCulture), 1, 60);
    }

    [Fact]
    public void A_tenant_override_replaces_the_default_and_zero_means_unlimited()
    {
        var policy = Policy(new RateLimitOptions
        {
            RequestsPerMinute = 1,
            Tenants = { ["batch"] = new TenantRateLimitOptions { RequestsPerMinute = 0 }, ["tight"] = new TenantRateLimitOptions { RequestBurst = 1, RequestsPerMinute = 600 } },
        });

        for (var i = 0; i < 100; i++)
        {
            Assert.True(Admits(policy, "batch"));
        }

        Assert.True(Admits(policy, "tight"));
        Assert.False(Admits(policy, "tight"));
        Assert.True(policy.IsEnabled);
    }

    [Fact]
    public void Without_limits_nothing_is_refused()
    {
        var policy = Policy(new RateLimitOptions());

        for (var i = 0; i < 1000; i++)
        {
            Assert.True(Admits(policy, "anyone"));
        }

        Assert.Null(policy.TokenBudgetOf("anyone"));
        Assert.False(policy.IsEnabled);
    }

    [Fact]
    public async Task A_tenant_that_overdraws_its_token_budget_is_refused_until_it_refills()
    {
        var policy = Policy(new RateLimitOptions { TokensPerMinute = 60 });
        Assert.True(Admits(policy, "a"));
        policy.TokenBudgetOf("a")!.Charge(100); // 40 tokens in debt: a token a second pays it back

        var refused = await RefusedAsync(policy, "a");
        Assert.Contains("used its 60 tokens per minute", GatewaySecurityHost.ErrorOf(refused).GetProperty("message").GetString());
        Assert.Equal("41", refused.Response.Headers.RetryAfter);
        Assert.True(Admits(policy, "b"));

        _time.Advance(TimeSpan.FromSeconds(40));
        Assert.False(Admits(policy, "a"));
        _time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.True(Admits(policy, "a"));
    }

    [Fact]
    public void An_idle_tenant_saves_up_at_most_one_minute_of_tokens()
    {
        var policy = Policy(new RateLimitOptions { TokensPerMinute = 60 });
        _time.Advance(TimeSpan.FromHours(1));

        policy.TokenBudgetOf("a")!.Charge(60);

        Assert.False(Admits(policy, "a"));
    }

    [Fact]
    public void A_tenant_refused_for_its_tokens_keeps_its_request_permits()
    {
        var policy = Policy(new RateLimitOptions { RequestsPerMinute = 1, TokensPerMinute = 60 });
        policy.TokenBudgetOf("a")!.Charge(61);

        Assert.False(Admits(policy, "a"));
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.True(Admits(policy, "a"));
    }
}
