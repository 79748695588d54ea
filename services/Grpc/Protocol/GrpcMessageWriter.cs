using System.Buffers;
using Google.Protobuf;

namespace SlmCluster.Grpc.Protocol;

/// <summary>Writes length-prefixed protobuf messages straight into the output buffer, without an intermediate copy.</summary>
internal static class GrpcMessageWriter
{
    // Below this the whole frame is written into one contiguous span: the common case of a token-sized chunk.
    private const int ContiguousLimit = 4096 - LengthPrefixedMessage.HeaderSize;

    public static void Write(IBufferWriter<byte> output, IMessage message, int maxMessageSize)
    {
        var size = message.CalculateSize();
        if (size > maxMessageSize)
        {
            throw new RpcException(
                StatusCode.ResourceExhausted,
                $"Sending message of {size} bytes exceeds the limit of {maxMessageSize} bytes.");
        }

        if (size <= ContiguousLimit)
        {
            var frame = output.GetSpan(LengthPrefixedMessage.HeaderSize + size);
            LengthPrefixedMessage.WriteHeader(frame, size);
            message.WriteTo(frame.Slice(LengthPrefixedMessage.HeaderSize, size));
            output.Advance(LengthPrefixedMessage.HeaderSize + size);
            return;
        }

        LengthPrefixedMessage.WriteHeader(output.GetSpan(LengthPrefixedMessage.HeaderSize), size);
        output.Advance(LengthPrefixedMessage.HeaderSize);
        message.WriteTo(output);
    }
}
