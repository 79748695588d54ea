namespace SlmCluster.Grpc.Transport;

/// <summary>
/// Decodes HPACK's Huffman-coded string literals (RFC 7541, section 5.2 and appendix B). The code is canonical,
/// so the bit length of each symbol's code is all that needs storing: codes are handed out in order of length, then
/// of symbol value.
/// </summary>
internal static class HpackHuffman
{
    private const int EndOfString = 256;

    // Code length of symbols 0..255 and of end-of-string (the last one), written as 'A' + (length - 5).
    private const string CodeLengths =
        "ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHF" +
        "IBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACCBBBABCBAABCCCCCKGJIX" +
        "PRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRS" +
        "VVPORSRUVVVWWVTUOQVWWVWTQQVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWV" +
        "Z";

    // For each code length: the first code of that length, and where its symbols start in SymbolsByCode.
    private static readonly (uint FirstCode, int FirstIndex, int Count)[] ByLength = new (uint, int, int)[31];
    private static readonly short[] SymbolsByCode = BuildTables();

    /// <summary>Decodes <paramref name="source"/> into <paramref name="destination"/>; false when it is not valid Huffman code.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, List<byte> destination)
    {
        uint code = 0;
        var length = 0;
        foreach (var octet in source)
        {
            for (var bit = 7; bit >= 0; bit--)
            {
                code = (code << 1) | (uint)((octet >> bit) & 1);
                length++;
                var entry = ByLength[length];
                if (entry.Count > 0 && code - entry.FirstCode < (uint)entry.Count)
                {
                    var symbol = SymbolsByCode[entry.FirstIndex + (int)(code - entry.FirstCode)];
                    if (symbol == EndOfString)
                    {
                        return false; // the spec makes a coded end-of-string an error
                    }

                    destination.Add((byte)symbol);
                    code = 0;
                    length = 0;
                }
                else if (length >= 30)
                {
                    return false;
                }
            }
        }

        // What is left must be padding: fewer than 8 bits, all ones (the start of end-of-string).
        return length < 8 && code == (1u << length) - 1;
    }

    private static short[] BuildTables()
    {
        var symbols = Enumerable.Range(0, 257).OrderBy(s => CodeLengths[s]).ThenBy(s => s).ToArray();
        var ordered = new short[symbols.Length];
        uint code = 0;
        var previousLength = CodeLengths[symbols[0]] - 'A' + 5;
        for (var i = 0; i < symbols.Length; i++)
        {
            var length = CodeLengths[symbols[i]] - 'A' + 5;
            code <<= length - previousLength;
            previousLength = length;
            ordered[i] = (short)symbols[i];
            ref var entry = ref ByLength[length];
            if (entry.Count == 0)
            {
                entry = (code, i, 0);
            }

            entry.Count++;
            code++;
        }

        return ordered;
    }
}
