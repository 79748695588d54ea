using SlmCluster.Grpc;
using Xunit;

namespace SlmCluster.UnitTests.Grpc;

public sealed class MetadataTests
{
    [Fact]
    public void Keys_are_stored_lower_case_and_found_case_insensitively()
    {
        var metadata = new Metadata { { "X-Request-Id", "abc" } };

        Assert.Equal("abc", metadata.Get("x-request-id"));
        Assert.Equal("abc", metadata.Get("X-REQUEST-ID"));
        Assert.Equal("x-request-id", Assert.Single(metadata).Key);
    }

    [Fact]
    public void Repeated_keys_keep_every_value_and_get_returns_the_first()
    {
        var metadata = new Metadata { { "tag", "a" }, { "tag", "b" } };

        Assert.Equal(2, metadata.Count);
        Assert.Equal("a", metadata.Get("tag"));
        Assert.Equal(["a", "b"], metadata.GetAll("tag"));
        Assert.Null(metadata.Get("missing"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("bad key")]
    [InlineData("colon:")]
    public void Keys_that_cannot_be_http2_header_names_are_rejected(string key)
    {
        Assert.ThrowsAny<ArgumentException>(() => new Metadata().Add(key, "v"));
    }

    [Fact]
    public void Rpc_exception_message_names_the_status_and_detail()
    {
        var error = new RpcException(StatusCode.NotFound, "model 'x' is not served");

        Assert.Equal("Status(StatusCode=\"NotFound\", Detail=\"model 'x' is not served\")", error.Message);
        Assert.Equal(0, error.Trailers.Count);
    }
}
