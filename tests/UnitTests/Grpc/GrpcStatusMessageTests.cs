using SlmCluster.Grpc;
using Xunit;

namespace SlmCluster.UnitTests.Grpc;

public sealed class GrpcStatusMessageTests
{
    [Fact]
    public void Printable_ascii_is_sent_as_is()
    {
        const string message = "Model 'tiny' is not loaded (try again).";

        Assert.Same(message, GrpcStatusMessage.Encode(message));
    }

    [Theory]
    [InlineData("100%", "100%25")]
    [InlineData("line1\nline2", "line1%0Aline2")]
    [InlineData("caf\u00e9", "caf%C3%A9")]
    [InlineData("\U0001F600", "%F0%9F%98%80")]
    public void Percent_non_printable_and_non_ascii_bytes_are_percent_encoded_as_utf8(string message, string expected)
    {
        Assert.Equal(expected, GrpcStatusMessage.Encode(message));
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("50% off, caf\u00e9 \u65e5\u672c\u8a9e \U0001F600\r\n\ttab")]
    [InlineData("%%%")]
    public void Encoding_round_trips(string message)
    {
        Assert.Equal(message, GrpcStatusMessage.Decode(GrpcStatusMessage.Encode(message)));
    }

    [Theory]
    [InlineData("50%", "50%")]
    [InlineData("%zz and %4", "%zz and %4")]
    [InlineData("ok %41 bad %G1", "ok A bad %G1")]
    [InlineData("lower %c3%a9", "lower \u00e9")]
    public void Broken_percent_sequences_are_kept_rather_than_failing(string value, string expected)
    {
        Assert.Equal(expected, GrpcStatusMessage.Decode(value));
    }
}
