using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace SlmCluster.Grpc;

/// <summary>
/// The <c>grpc-timeout</c> header: at most 8 digits followed by a unit
/// (<c>H</c>ours, <c>M</c>inutes, <c>S</c>econds, <c>m</c>illi-, <c>u</c>micro-, <c>n</c>anoseconds).
/// </summary>
public static class GrpcTimeout
{
    public const int MaxDigits = 8;

    private const long MaxValue = 99_999_999;

    // Coarsest first: Format prefers the shortest exact representation.
    private static readonly (char Unit, long Ticks)[] Units =
    [
        ('H', TimeSpan.TicksPerHour),
        ('M', TimeSpan.TicksPerMinute),
        ('S', TimeSpan.TicksPerSecond),
        ('m', TimeSpan.TicksPerMillisecond),
        ('u', TimeSpan.TicksPerMicrosecond),
    ];

    public static TimeSpan Parse(string value) =>
        TryParse(value, out var timeout)
            ? timeout
            : throw new FormatException($"'{value}' is not a valid grpc-timeout: expected 1 to {MaxDigits} digits followed by one of H, M, S, m, u, n.");

    public static bool TryParse([NotNullWhen(true)] string? value, out TimeSpan timeout) =>
        TryParse(value.AsSpan(), out timeout);

    public static bool TryParse(ReadOnlySpan<char> value, out TimeSpan timeout)
    {
        timeout = default;
        if (value.Length < 2 || value.Length > MaxDigits + 1)
        {
            return false;
        }

        var digits = value[..^1];
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        var amount = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        long ticks;
        switch (value[^1])
        {
            case 'H': ticks = amount * TimeSpan.TicksPerHour; break;
            case 'M': ticks = amount * TimeSpan.TicksPerMinute; break;
            case 'S': ticks = amount * TimeSpan.TicksPerSecond; break;
            case 'm': ticks = amount * TimeSpan.TicksPerMillisecond; break;
            case 'u': ticks = amount * TimeSpan.TicksPerMicrosecond; break;
            case 'n': ticks = (amount + 99) / 100; break; // a tick is 100 ns; round up so 1n is not "no time at all"
            default: return false;
        }

        timeout = TimeSpan.FromTicks(ticks);
        return true;
    }

    /// <summary>
    /// Formats <paramref name="timeout"/> in the coarsest unit that is exact within 8 digits, else in the finest
    /// unit that fits, rounded up. Zero or negative timeouts format as <c>1n</c>: the header must be positive.
    /// </summary>
    public static string Format(TimeSpan timeout)
    {
        var ticks = timeout.Ticks;
        if (ticks <= 0)
        {
            return "1n";
        }

        foreach (var (unit, unitTicks) in Units)
        {
            if (ticks % unitTicks == 0 && ticks / unitTicks <= MaxValue)
            {
                return FormatValue(ticks / unitTicks, unit);
            }
        }

        if (ticks <= MaxValue / 100)
        {
            return FormatValue(ticks * 100, 'n');
        }

        for (var i = Units.Length - 1; i >= 0; i--)
        {
            var (unit, unitTicks) = Units[i];
            var amount = (ticks + unitTicks - 1) / unitTicks;
            if (amount <= MaxValue)
            {
                return FormatValue(amount, unit);
            }
        }

        return FormatValue(MaxValue, 'H');
    }

    private static string FormatValue(long amount, char unit) =>
        string.Create(CultureInfo.InvariantCulture, $"{amount}{unit}");
}
