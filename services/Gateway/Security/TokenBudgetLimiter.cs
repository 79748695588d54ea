using System.Threading.RateLimiting;

namespace SlmCluster.Gateway.Security;

/// <summary>
/// A tenant's tokens per minute as a rate limiter: refills continuously up to one minute's worth, lets a request start
/// only while it is above zero, and is charged after each request with what it really used (which can take it below
/// zero, so the tenant waits until the debt is paid back).
/// </summary>
/// <remarks>
/// The platform's limiters cannot express this: their permits are taken before the work, and a request's token count
/// is only known once it has finished (<see cref="TokenBudgetMiddleware"/> charges it then).
/// </remarks>
public sealed class TokenBudgetLimiter : RateLimiter
{
    private static readonly RateLimitLease Admitted = new Lease(null);

    private readonly string _tenant;
    private readonly int _tokensPerMinute;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private double _balance;
    private long _refilledAt;

    public TokenBudgetLimiter(string tenant, int tokensPerMinute, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokensPerMinute);
        _tenant = tenant;
        _tokensPerMinute = tokensPerMinute;
        _time = time;
        _balance = tokensPerMinute;
        _refilledAt = time.GetTimestamp();
    }

    /// <summary>Never idle: the budget lives as long as its tenant's configuration, debt and all.</summary>
    public override TimeSpan? IdleDuration => null;

    /// <summary>Takes <paramref name="tokens"/> off the budget.</summary>
    public void Charge(int tokens)
    {
        if (tokens <= 0)
        {
            return;
        }

        lock (_lock)
        {
            Refill();
            _balance -= tokens;
        }
    }

    public override RateLimiterStatistics? GetStatistics() => null;

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_lock)
        {
            Refill();
            return _balance > 0 ? Admitted : new Lease(new Refusal(
                TimeSpan.FromMinutes((1 - _balance) / _tokensPerMinute),
                $"Tenant '{_tenant}' has used its {_tokensPerMinute} tokens per minute."));
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_refilledAt, now);
        _refilledAt = now;
        _balance = Math.Min(_tokensPerMinute, _balance + (elapsed.TotalMinutes * _tokensPerMinute));
    }

    private sealed record Refusal(TimeSpan RetryAfter, string Reason);

    /// <summary>Admitted (nothing to hand back: the charge comes later), or refused with when to retry and why.</summary>
    private sealed class Lease(Refusal? refusal) : RateLimitLease
    {
        private static readonly string[] RefusalMetadata = [MetadataName.RetryAfter.Name, MetadataName.ReasonPhrase.Name];

        public override bool IsAcquired => refusal is null;

        public override IEnumerable<string> MetadataNames => refusal is null ? [] : RefusalMetadata;

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = refusal is null ? null
                : metadataName == MetadataName.RetryAfter.Name ? refusal.RetryAfter
                : metadataName == MetadataName.ReasonPhrase.Name ? refusal.Reason
                : null;
            return metadata is not null;
        }
    }
}
