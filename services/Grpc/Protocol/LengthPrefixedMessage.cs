using System.Buffers;
using System.Buffers.Binary;

namespace SlmCluster.Grpc.Protocol;

/// <summary>
/// The gRPC message frame: a compressed flag byte, a 4-byte big-endian length, then the message.
/// DATA frame boundaries say nothing about message boundaries, so reads work on a growing buffer.
/// </summary>
internal static class LengthPrefixedMessage
{
    public const int HeaderSize = 5;

    public static void WriteHeader(Span<byte> destination, int messageLength)
    {
        destination[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)messageLength);
    }

    /// <summary>
    /// Takes one whole message off the front of <paramref name="buffer"/>, or returns false when more bytes are needed.
    /// Throws <see cref="RpcException"/> for a frame that can never be valid.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxMessageSize, out ReadOnlySequence<byte> message)
    {
        message = default;
        if (buffer.Length < HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);

        switch (header[0])
        {
            case 0:
                break;
            case 1:
                throw new RpcException(
                    StatusCode.Internal,
                    "Received a compressed message, but no grpc-encoding was negotiated; compression is not supported.");
            default:
                throw new RpcException(StatusCode.Internal, $"Received a message with an invalid compressed flag ({header[0]}).");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)maxMessageSize)
        {
            throw new RpcException(
                StatusCode.ResourceExhausted,
                $"Received message of {length} bytes exceeds the limit of {maxMessageSize} bytes.");
        }

        if (buffer.Length - HeaderSize < length)
        {
            return false;
        }

        message = buffer.Slice(HeaderSize, length);
        buffer = buffer.Slice(message.End);
        return true;
    }
}
