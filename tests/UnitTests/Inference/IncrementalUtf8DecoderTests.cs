using System.Text;
using SlmCluster.Inference;
using Xunit;

namespace SlmCluster.UnitTests.Inference;

public sealed class IncrementalUtf8DecoderTests
{
    [Fact]
    public void Multi_byte_characters_split_across_tokens_come_out_whole()
    {
        // "é" (2 bytes), "€" (3 bytes), "🐱" (4 bytes, a surrogate pair in .NET), split at every possible point.
        byte[] bytes = Encoding.UTF8.GetBytes("aé€🐱z");
        var decoder = new IncrementalUtf8Decoder();

        var pieces = bytes.Select(b => decoder.Append([b])).ToList();

        Assert.Equal(["a", "", "é", "", "", "€", "", "", "", "🐱", "z"], pieces);
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void Pieces_that_end_mid_character_carry_the_partial_bytes_to_the_next_piece()
    {
        byte[] cat = Encoding.UTF8.GetBytes("🐱");
        var decoder = new IncrementalUtf8Decoder();

        string first = decoder.Append([(byte)' ', cat[0], cat[1]]);
        string second = decoder.Append([cat[2], cat[3], (byte)'!']);

        Assert.Equal(" ", first);
        Assert.Equal("🐱!", second);
    }

    [Fact]
    public void Unfinished_character_at_the_end_becomes_a_replacement_character()
    {
        byte[] euro = Encoding.UTF8.GetBytes("€");
        var decoder = new IncrementalUtf8Decoder();

        Assert.Equal("x", decoder.Append([(byte)'x', euro[0], euro[1]]));
        Assert.Equal("\uFFFD", decoder.Flush());
    }

    [Fact]
    public void Invalid_bytes_become_replacement_characters_without_stalling_the_stream()
    {
        var decoder = new IncrementalUtf8Decoder();

        string text = decoder.Append([0x80, (byte)'o', (byte)'k']);

        Assert.Equal("\uFFFDok", text);
    }

    [Fact]
    public void Asking_for_pending_bytes_tells_an_unfinished_character_and_changes_nothing()
    {
        byte[] euro = Encoding.UTF8.GetBytes("€");
        var decoder = new IncrementalUtf8Decoder();

        Assert.Equal("a", decoder.Append([(byte)'a']));
        Assert.False(decoder.HasPendingBytes);
        Assert.Equal("", decoder.Append(euro.AsSpan(0, 2)));
        Assert.True(decoder.HasPendingBytes);
        Assert.True(decoder.HasPendingBytes);
        Assert.Equal("€", decoder.Append(euro.AsSpan(2)));
        Assert.False(decoder.HasPendingBytes);
    }
}
