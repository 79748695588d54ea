using SlmCluster.Grpc;
using Xunit;

namespace SlmCluster.UnitTests.Grpc;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("30S", 300_000_000L)]
    [InlineData("100m", 1_000_000L)]
    [InlineData("250u", 2_500L)]
    [InlineData("1000n", 10L)]
    [InlineData("1n", 1L)]
    [InlineData("99999999S", 999_999_990_000_000L)]
    public void Valid_timeouts_parse_in_their_unit(string header, long expectedTicks)
    {
        Assert.Equal(TimeSpan.FromTicks(expectedTicks), GrpcTimeout.Parse(header));
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10s")]
    [InlineData("10x")]
    [InlineData("-1S")]
    [InlineData("1.5S")]
    [InlineData(" 1S")]
    [InlineData("123456789S")]
    public void Malformed_timeouts_are_rejected(string header)
    {
        Assert.False(GrpcTimeout.TryParse(header, out _));
        Assert.Throws<FormatException>(() => GrpcTimeout.Parse(header));
    }

    [Theory]
    [InlineData(100L * TimeSpan.TicksPerMillisecond, "100m")]
    [InlineData(5L * TimeSpan.TicksPerSecond, "5S")]
    [InlineData(2L * TimeSpan.TicksPerHour, "2H")]
    [InlineData(90L * TimeSpan.TicksPerMinute, "90M")]
    [InlineData(1_500L * TimeSpan.TicksPerMillisecond, "1500m")]
    [InlineData(15L, "1500n")]
    public void Format_picks_the_coarsest_exact_unit(long ticks, string expected)
    {
        var formatted = GrpcTimeout.Format(TimeSpan.FromTicks(ticks));

        Assert.Equal(expected, formatted);
        Assert.Equal(TimeSpan.FromTicks(ticks), GrpcTimeout.Parse(formatted));
    }

    [Fact]
    public void Inexact_timeout_is_rounded_up_so_the_server_never_gives_up_first()
    {
        var timeout = TimeSpan.FromTicks(12_345_678_901L); // 1234.5678901 s: no exact unit within 8 digits

        var formatted = GrpcTimeout.Format(timeout);

        Assert.True(formatted.Length <= GrpcTimeout.MaxDigits + 1, formatted);
        var parsed = GrpcTimeout.Parse(formatted);
        Assert.True(parsed >= timeout, $"{formatted} is {parsed}, shorter than {timeout}");
        Assert.True(parsed - timeout < TimeSpan.FromMilliseconds(1), formatted);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-5L)]
    public void Non_positive_timeout_formats_as_the_smallest_positive_one(long ticks)
    {
        Assert.Equal("1n", GrpcTimeout.Format(TimeSpan.FromTicks(ticks)));
    }

    [Fact]
    public void Very_long_timeout_formats_within_eight_digits()
    {
        var formatted = GrpcTimeout.Format(TimeSpan.FromDays(365 * 100));

        Assert.True(formatted.Length <= GrpcTimeout.MaxDigits + 1, formatted);
        Assert.True(GrpcTimeout.Parse(formatted) >= TimeSpan.FromDays(365 * 100));
    }
}
