using Grpc.Core;
using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using SlmCluster.Gateway.Hosting;

namespace SlmCluster.Gateway.Security;

/// <summary>
/// Per-tenant limits from <c>Gateway:RateLimits</c>: a token bucket of requests per minute
/// (<see cref="PartitionedRateLimiter"/>, one partition per tenant) and a budget of tokens per minute charged
/// with each request's prompt and completion tokens once it has finished.
/// </summary>
public sealed class TenantRateLimiter : IDisposable
{
    /// <summary>The metadata key (gRPC) that carries the seconds to wait, as HTTP's <c>Retry-After</c> does.</summary>
    public const string RetryAfterKey = "retry-after";

    private readonly RateLimitOptions _options;
    private readonly TimeProvider _time;
    private readonly PartitionedRateLimiter<string> _requests;
    private readonly ConcurrentDictionary<string, TokenBudget?> _budgets = new(StringComparer.Ordinal);

    public TenantRateLimiter(IOptions<GatewayOptions> options, TimeProvider time)
    {
        _options = options.Value.RateLimits;
        _time = time;
        _requests = PartitionedRateLimiter.Create<string, string>(tenant =>
        {
            var limits = _options.For(tenant);
            return limits.RequestsPerMinute is > 0 and var perMinute
                ? RateLimitPartition.GetTokenBucketLimiter(tenant, _ => RequestBucket(perMinute, limits.RequestBurst ?? 0))
                : RateLimitPartition.GetNoLimiter(tenant);
        }, StringComparer.Ordinal);
    }

    /// <summary>True when any request or token limit is configured.</summary>
    public bool IsEnabled =>
        _options.RequestsPerMinute > 0 || _options.TokensPerMinute > 0
        || _options.Tenants.Values.Any(t => t.RequestsPerMinute > 0 || t.TokensPerMinute > 0);

    /// <summary>Lets one generation request of <paramref name="tenant"/> start, or refuses it.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED with a <c>retry-after</c> trailer (seconds).</exception>
    public void Admit(string tenant)
    {
        if (Budget(tenant)?.RetryAfter() is { } wait)
        {
            throw Refused($"Tenant '{tenant}' has used its {_options.For(tenant).TokensPerMinute} tokens per minute.", wait);
        }

        using var lease = _requests.AttemptAcquire(tenant);
        if (!lease.IsAcquired)
        {
            lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter);
            throw Refused($"Tenant '{tenant}' has made its {_options.For(tenant).RequestsPerMinute} requests per minute.", retryAfter);
        }
    }

    /// <summary>Charges the tokens a finished (or failed) request used to its tenant's budget.</summary>
    public void Charge(string tenant, int tokens)
    {
        if (tokens > 0)
        {
            Budget(tenant)?.Charge(tokens);
        }
    }

    public void Dispose() => _requests.Dispose();

    private TokenBudget? Budget(string tenant) => _budgets.GetOrAdd(tenant, static (t, self) =>
        self._options.For(t).TokensPerMinute is > 0 and var perMinute ? new TokenBudget(perMinute, self._time) : null, this);

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

    private static RpcException Refused(string what, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        var trailers = new Metadata { { RetryAfterKey, seconds.ToString(CultureInfo.InvariantCulture) } };
        return new RpcException(new Status(StatusCode.ResourceExhausted, $"Rate limit exceeded: {what} Retry after {seconds} s."), trailers);
    }
}
