using System.Text;

namespace SlmCluster.Grpc.Transport;

/// <summary>
/// Encodes request header blocks. Fields go out as literals that never enter the peer's dynamic table, and strings
/// uncompressed: a request's few short headers gain little from either, and the encoder keeps no state.
/// </summary>
internal static class HpackEncoder
{
    public static void WriteIndexed(List<byte> block, int index) => WriteInteger(block, 0x80, 7, index);

    /// <summary>A literal field without indexing whose name is in the static table.</summary>
    public static void WriteLiteral(List<byte> block, int nameIndex, string value)
    {
        WriteInteger(block, 0x00, 4, nameIndex);
        WriteString(block, value);
    }

    /// <summary>A literal field without indexing with its name spelled out (lower case, as HTTP/2 requires).</summary>
    public static void WriteLiteral(List<byte> block, string name, string value)
    {
        block.Add(0x00);
        WriteString(block, name.ToLowerInvariant());
        WriteString(block, value);
    }

    private static void WriteString(List<byte> block, string value)
    {
        var length = Encoding.Latin1.GetByteCount(value);
        WriteInteger(block, 0x00, 7, length);
        var start = block.Count;
        System.Runtime.InteropServices.CollectionsMarshal.SetCount(block, start + length);
        Encoding.Latin1.GetBytes(value, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(block)[start..]);
    }

    internal static void WriteInteger(List<byte> block, byte flags, int prefixBits, int value)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            block.Add((byte)(flags | value));
            return;
        }

        block.Add((byte)(flags | max));
        value -= max;
        while (value >= 0x80)
        {
            block.Add((byte)((value & 0x7F) | 0x80));
            value >>= 7;
        }

        block.Add((byte)value);
    }
}
