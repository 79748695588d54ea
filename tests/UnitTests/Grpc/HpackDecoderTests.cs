using SlmCluster.Grpc.Transport;
using Xunit;

namespace SlmCluster.UnitTests.Grpc;

/// <summary>The HPACK decoder against the header blocks worked through in RFC 7541, appendix C.</summary>
public sealed class HpackDecoderTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    [Fact]
    public void Huffman_coded_requests_decode_and_the_second_refers_back_to_the_first()
    {
        var decoder = new HpackDecoder();

        var first = decoder.Decode(Hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"));
        var second = decoder.Decode(Hex("8286 84be 5886 a8eb 1064 9cbf"));
        var third = decoder.Decode(Hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"));

        Assert.Equal([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")], first);
        Assert.Equal([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache")], second);
        Assert.Equal([(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value")], third);
    }

    [Fact]
    public void Plain_literals_and_a_table_smaller_than_an_entry_evict_as_the_spec_says()
    {
        // RFC 7541 C.3.1 without Huffman, then a size update to 0 empties the table.
        var decoder = new HpackDecoder();
        Assert.Equal((":authority", "www.example.com"), decoder.Decode(Hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"))[3]);
        Assert.Equal((":authority", "www.example.com"), Assert.Single(decoder.Decode(Hex("be"))));

        var error = Assert.Throws<HpackException>(() => decoder.Decode(Hex("20 be")));
        Assert.Contains("beyond the table", error.Message);
    }

    [Theory]
    [InlineData("82 20", "size update came after")]
    [InlineData("80", "index 0")]
    [InlineData("41 8c f1e3", "past the end")]
    [InlineData("41 81 00", "Huffman-coded string is malformed")]
    [InlineData("3f e1 ff ff ff 0f", "too large")]
    public void Malformed_blocks_are_refused_with_what_is_wrong(string hex, string expected)
    {
        var error = Assert.Throws<HpackException>(() => new HpackDecoder().Decode(Hex(hex)));
        Assert.Contains(expected, error.Message);
    }
}
