using System.Buffers;
using System.Net;
using Google.Protobuf;
using SlmCluster.Grpc.Protocol;

namespace SlmCluster.Grpc.Client;

/// <summary>The request body: one length-prefixed message, serialized into a pooled buffer as it is sent.</summary>
internal sealed class GrpcRequestContent : HttpContent, Transport.IHttp2BufferedContent
{
    private readonly IMessage _message;
    private readonly int _messageSize;

    public GrpcRequestContent(IMessage message, int maxMessageSize)
    {
        _messageSize = message.CalculateSize();
        if (_messageSize > maxMessageSize)
        {
            throw new RpcException(
                StatusCode.ResourceExhausted,
                $"Sending message of {_messageSize} bytes exceeds the limit of {maxMessageSize} bytes.");
        }

        _message = message;
        Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var frameLength = LengthPrefixedMessage.HeaderSize + _messageSize;
        var buffer = ArrayPool<byte>.Shared.Rent(frameLength);
        try
        {
            LengthPrefixedMessage.WriteHeader(buffer, _messageSize);
            _message.WriteTo(buffer.AsSpan(LengthPrefixedMessage.HeaderSize, _messageSize));
            await stream.WriteAsync(buffer.AsMemory(0, frameLength), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The whole body at once, for the h2c handler, which sends it with the headers.</summary>
    public byte[] Serialize()
    {
        var frame = new byte[LengthPrefixedMessage.HeaderSize + _messageSize];
        LengthPrefixedMessage.WriteHeader(frame, _messageSize);
        _message.WriteTo(frame.AsSpan(LengthPrefixedMessage.HeaderSize, _messageSize));
        return frame;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = LengthPrefixedMessage.HeaderSize + _messageSize;
        return true;
    }
}
