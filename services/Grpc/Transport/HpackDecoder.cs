using System.Text;

namespace SlmCluster.Grpc.Transport;

/// <summary>
/// Decodes HPACK header blocks (RFC 7541) for one connection's receiving direction: the dynamic table lives as long
/// as the connection, so blocks must be decoded in the order they arrived, each whole.
/// </summary>
internal sealed class HpackDecoder
{
    private readonly List<(string Name, string Value)> _dynamic = []; // newest last
    private readonly List<byte> _scratch = [];
    private readonly int _maxTableSizeLimit;
    private readonly int _maxHeaderListSize;
    private int _maxTableSize;
    private int _tableSize;

    /// <param name="maxTableSize">The table size this side announced (SETTINGS_HEADER_TABLE_SIZE; 4096 by default).</param>
    /// <param name="maxHeaderListSize">Largest decoded header list accepted, counted as the spec does (name + value + 32 each).</param>
    public HpackDecoder(int maxTableSize = 4096, int maxHeaderListSize = 64 * 1024)
    {
        _maxTableSizeLimit = _maxTableSize = maxTableSize;
        _maxHeaderListSize = maxHeaderListSize;
    }

    /// <summary>Decodes one complete header block.</summary>
    /// <exception cref="HpackException">The block is malformed (a connection error: the table cannot be trusted after it).</exception>
    public List<(string Name, string Value)> Decode(ReadOnlySpan<byte> block)
    {
        var fields = new List<(string, string)>();
        var listSize = 0;
        var position = 0;
        var fieldSeen = false;
        while (position < block.Length)
        {
            var first = block[position];
            (string Name, string Value) field;
            if ((first & 0x80) != 0)
            {
                // Indexed field.
                field = Lookup(ReadInteger(block, ref position, 7));
            }
            else if ((first & 0x40) != 0)
            {
                // Literal, added to the table.
                field = ReadLiteral(block, ref position, 6);
                Add(field);
            }
            else if ((first & 0x20) != 0)
            {
                // Table size update: only before the first field of a block.
                if (fieldSeen)
                {
                    throw new HpackException("A dynamic table size update came after a header field.");
                }

                var size = ReadInteger(block, ref position, 5);
                if (size > _maxTableSizeLimit)
                {
                    throw new HpackException($"Dynamic table size update to {size} exceeds the {_maxTableSizeLimit} announced.");
                }

                _maxTableSize = size;
                Evict(0);
                continue;
            }
            else
            {
                // Literal without indexing (0000) or never indexed (0001).
                field = ReadLiteral(block, ref position, 4);
            }

            fieldSeen = true;
            listSize += field.Name.Length + field.Value.Length + 32;
            if (listSize > _maxHeaderListSize)
            {
                throw new HpackException($"The header list exceeds {_maxHeaderListSize} bytes.");
            }

            fields.Add(field);
        }

        return fields;
    }

    private (string Name, string Value) ReadLiteral(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        var index = ReadInteger(block, ref position, prefixBits);
        var name = index == 0 ? ReadString(block, ref position) : Lookup(index).Name;
        return (name, ReadString(block, ref position));
    }

    private (string Name, string Value) Lookup(int index)
    {
        if (index <= 0)
        {
            throw new HpackException("Header field index 0 is not valid.");
        }

        if (index <= HpackStaticTable.Entries.Length)
        {
            return HpackStaticTable.Entries[index - 1];
        }

        var dynamicIndex = index - HpackStaticTable.Entries.Length - 1;
        if (dynamicIndex >= _dynamic.Count)
        {
            throw new HpackException($"Header field index {index} is beyond the table.");
        }

        return _dynamic[_dynamic.Count - 1 - dynamicIndex];
    }

    private void Add((string Name, string Value) field)
    {
        var size = field.Name.Length + field.Value.Length + 32;
        Evict(size);
        if (size <= _maxTableSize)
        {
            _dynamic.Add(field);
            _tableSize += size;
        }
    }

    private void Evict(int room)
    {
        while (_dynamic.Count > 0 && _tableSize + room > _maxTableSize)
        {
            var oldest = _dynamic[0];
            _dynamic.RemoveAt(0);
            _tableSize -= oldest.Name.Length + oldest.Value.Length + 32;
        }
    }

    private string ReadString(ReadOnlySpan<byte> block, ref int position)
    {
        if (position >= block.Length)
        {
            throw new HpackException("The header block ends inside a string.");
        }

        var huffman = (block[position] & 0x80) != 0;
        var length = ReadInteger(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw new HpackException("A string runs past the end of the header block.");
        }

        var raw = block.Slice(position, length);
        position += length;
        if (!huffman)
        {
            // Header bytes are taken as Latin-1, as HTTP defines them; gRPC's are ASCII.
            return Encoding.Latin1.GetString(raw);
        }

        _scratch.Clear();
        if (!HpackHuffman.TryDecode(raw, _scratch))
        {
            throw new HpackException("A Huffman-coded string is malformed.");
        }

        return Encoding.Latin1.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_scratch));
    }

    /// <summary>An integer with an N-bit prefix (RFC 7541, section 5.1).</summary>
    internal static int ReadInteger(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        if (position >= block.Length)
        {
            throw new HpackException("The header block ends inside an integer.");
        }

        var mask = (1 << prefixBits) - 1;
        var value = block[position++] & mask;
        if (value < mask)
        {
            return value;
        }

        var shift = 0;
        while (true)
        {
            if (position >= block.Length)
            {
                throw new HpackException("The header block ends inside an integer.");
            }

            var octet = block[position++];
            if (shift > 21)
            {
                throw new HpackException("An integer in the header block is too large.");
            }

            value += (octet & 0x7F) << shift;
            shift += 7;
            if ((octet & 0x80) == 0)
            {
                return value;
            }
        }
    }
}
