namespace SlmCluster.Gateway.Security;

/// <summary>
/// A tenant's tokens per minute: refills continuously up to one minute's worth, is charged after each request
/// with what it really used (which can take it below zero), and admits a request only while it is above zero.
/// </summary>
/// <remarks>
/// A <c>TokenBucketRateLimiter</c> cannot express this: its permits are taken before the work, and a request's
/// token count is only known once it has finished.
/// </remarks>
internal sealed class TokenBudget
{
    private readonly int _tokensPerMinute;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private double _balance;
    private long _refilledAt;

    public TokenBudget(int tokensPerMinute, TimeProvider time)
    {
        _tokensPerMinute = tokensPerMinute;
        _time = time;
        _balance = tokensPerMinute;
        _refilledAt = time.GetTimestamp();
    }

    /// <summary>Null while tokens are left; otherwise how long until the budget is above zero again.</summary>
    public TimeSpan? RetryAfter()
    {
        lock (_lock)
        {
            Refill();
            return _balance > 0 ? null : TimeSpan.FromMinutes((1 - _balance) / _tokensPerMinute);
        }
    }

    /// <summary>Takes <paramref name="tokens"/> off the budget.</summary>
    public void Charge(int tokens)
    {
        lock (_lock)
        {
            Refill();
            _balance -= tokens;
        }
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_refilledAt, now);
        _refilledAt = now;
        _balance = Math.Min(_tokensPerMinute, _balance + (elapsed.TotalMinutes * _tokensPerMinute));
    }
}
