using System.Buffers;
using System.Text;

namespace SlmCluster.Grpc;

/// <summary>
/// The percent-encoding of <c>grpc-message</c>: UTF-8, with every byte outside printable ASCII, and '%' itself,
/// written as <c>%XX</c>.
/// </summary>
public static class GrpcStatusMessage
{
    public static string Encode(string message)
    {
        ArgumentNullException.ThrowIfNull(message);

        if (!NeedsEscaping(message))
        {
            return message;
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(message.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(message, rented);
            var builder = new StringBuilder(message.Length + 16);
            foreach (var b in rented.AsSpan(0, length))
            {
                if (b is >= 0x20 and <= 0x7E and not (byte)'%')
                {
                    builder.Append((char)b);
                }
                else
                {
                    builder.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
                }
            }

            return builder.ToString();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Decodes leniently, as the spec requires: a broken <c>%</c> sequence is kept as it was sent.</summary>
    public static string Decode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);

        if (!value.Contains('%'))
        {
            return value;
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(value.Length));
        try
        {
            var length = 0;
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (c == '%' && i + 2 < value.Length && TryHexValue(value[i + 1], out var high) && TryHexValue(value[i + 2], out var low))
                {
                    rented[length++] = (byte)((high << 4) | low);
                    i += 2;
                }
                else if (c < 0x80)
                {
                    rented[length++] = (byte)c;
                }
                else
                {
                    // Not valid on the wire, but keep it rather than lose the message.
                    var charCount = char.IsHighSurrogate(c) && i + 1 < value.Length ? 2 : 1;
                    length += Encoding.UTF8.GetBytes(value.AsSpan(i, charCount), rented.AsSpan(length));
                    i += charCount - 1;
                }
            }

            return Encoding.UTF8.GetString(rented, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool NeedsEscaping(string message)
    {
        foreach (var c in message)
        {
            if (c is < (char)0x20 or > (char)0x7E or '%')
            {
                return true;
            }
        }

        return false;
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);

    private static bool TryHexValue(char c, out int value)
    {
        value = c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'A' and <= 'F' => c - 'A' + 10,
            >= 'a' and <= 'f' => c - 'a' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
