using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Grpc.Core;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Api;
using SlmCluster.Gateway.Configuration;

namespace SlmCluster.Gateway.Security;

/// <summary>
/// The rate limiting policy of both front doors' generation endpoints, from <c>Gateway:RateLimits</c>, one partition
/// per authenticated tenant: a token bucket of requests per minute (the platform's <see cref="TokenBucketRateLimiter"/>)
/// chained after a budget of tokens per minute (<see cref="TokenBudgetLimiter"/>). A refused request is answered with
/// RESOURCE_EXHAUSTED and a <c>retry-after</c> trailer (gRPC) or 429 and <c>Retry-After</c> (HTTP).
/// </summary>
public sealed partial class TenantRateLimitPolicy : IRateLimiterPolicy<string>, IDisposable
{
    public const string Name = "Tenant";

    private readonly RateLimitOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TenantRateLimitPolicy> _logger;
    private readonly ConcurrentDictionary<string, TenantLimiters> _tenants = new(StringComparer.Ordinal);
    private readonly Func<string, RateLimiter> _chain;

    public TenantRateLimitPolicy(IOptions<GatewayOptions> options, TimeProvider time, ILogger<TenantRateLimitPolicy> logger)
    {
        _options = options.Value.RateLimits;
        _time = time;
        _logger = logger;
        // The middleware disposes a partition's limiter when it has been idle a while; the chain it gets owns nothing,
        // so a tenant's bucket and budget (with its debt) outlive it.
        _chain = tenant => RateLimiter.CreateChained(LimitersOf(tenant).All);
        OnRejected = RejectAsync;
    }

    /// <summary>True when any request or token limit is configured.</summary>
    public bool IsEnabled =>
        _options.RequestsPerMinute > 0 || _options.TokensPerMinute > 0
        || _options.Tenants.Values.Any(t => t.RequestsPerMinute > 0 || t.TokensPerMinute > 0);

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; }

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        var tenant = ApiKeyAuthenticationHandler.TenantOf(httpContext.User);
        return LimitersOf(tenant).All.Length == 0
            ? RateLimitPartition.GetNoLimiter(tenant)
            : RateLimitPartition.Get(tenant, _chain);
    }

    /// <summary>The token budget of <paramref name="tenant"/>; null when it has none.</summary>
    public TokenBudgetLimiter? TokenBudgetOf(string tenant) => LimitersOf(tenant).Tokens;

    public void Dispose()
    {
        foreach (var limiters in _tenants.Values)
        {
            foreach (var limiter in limiters.All)
            {
                limiter.Dispose();
            }
        }
    }

    private TenantLimiters LimitersOf(string tenant) => _tenants.GetOrAdd(tenant, static (t, self) =>
    {
        var limits = self._options.For(t);
        var tokens = limits.TokensPerMinute is > 0 and var tokensPerMinute ? new TokenBudgetLimiter(t, tokensPerMinute, self._time) : null;
        var requests = limits.RequestsPerMinute is > 0 and var perMinute ? new TokenBucketRateLimiter(RequestBucket(perMinute, limits.RequestBurst ?? 0)) : null;
        // The budget first: a tenant refused for its tokens keeps its request permits.
        return new TenantLimiters(tokens, new RateLimiter?[] { tokens, requests }.OfType<RateLimiter>().ToArray());
    }, this);

    private static TokenBucketRateLimiterOptions RequestBucket(int perMinute, int burst)
    {
        // Refills a little at a time rather than once a minute, so a tenant at its limit is spread out, not bunched.
        var perPeriod = Math.Max(1, perMinute / 60);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst > 0 ? burst : perMinute,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = TimeSpan.FromMinutes((double)perPeriod / perMinute),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    private ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var tenant = ApiKeyAuthenticationHandler.TenantOf(rejected.HttpContext.User);
        rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter);
        // The budget says why it refused; the platform's bucket does not, so a refusal without a reason is the bucket's.
        var what = rejected.Lease.TryGetMetadata(MetadataName.ReasonPhrase, out var reason) && reason is not null
            ? reason
            : $"Tenant '{tenant}' has made its {_options.For(tenant).RequestsPerMinute} requests per minute.";
        var message = $"Rate limit exceeded: {what} Retry after {RetryAfterMetadata.Seconds(retryAfter)} s.";
        LogRateLimited(_logger, tenant, message);
        return new ValueTask(FrontDoorRefusal.WriteAsync(rejected.HttpContext, StatusCode.ResourceExhausted, message, retryAfter));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a request of tenant {Tenant}: {Detail}")]
    private static partial void LogRateLimited(ILogger logger, string tenant, string detail);

    private sealed record TenantLimiters(TokenBudgetLimiter? Tokens, RateLimiter[] All);
}
