using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;

namespace SlmCluster.Grpc.Protocol;

/// <summary>Reads length-prefixed protobuf messages from a request or response body.</summary>
internal static class GrpcMessageReader
{
    /// <summary>Reads the next message, or returns null when the body ends cleanly between messages.</summary>
    public static async ValueTask<T?> ReadMessageAsync<T>(
        PipeReader reader,
        MessageParser<T> parser,
        int maxMessageSize,
        CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.End;
            try
            {
                if (result.IsCanceled)
                {
                    throw new OperationCanceledException("Reading the message was canceled.");
                }

                if (LengthPrefixedMessage.TryRead(ref buffer, maxMessageSize, out var payload))
                {
                    consumed = buffer.Start;
                    examined = consumed;
                    return Parse(parser, payload);
                }

                if (result.IsCompleted)
                {
                    if (buffer.Length == 0)
                    {
                        return default;
                    }

                    throw new RpcException(
                        StatusCode.Internal,
                        $"The stream ended inside a message: {buffer.Length} bytes of an incomplete length-prefixed message were received.");
                }
            }
            finally
            {
                reader.AdvanceTo(consumed, examined);
            }
        }
    }

    private static T Parse<T>(MessageParser<T> parser, in ReadOnlySequence<byte> payload)
        where T : IMessage<T>
    {
        T message;
        try
        {
            message = parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(
                StatusCode.Internal,
                $"Failed to deserialize {typeof(T).Name}: {ex.Message}",
                trailers: null,
                ex);
        }

        if (ProtobufUtf8Check.FindInvalidString(message.Descriptor, payload) is { } field)
        {
            throw new RpcException(
                StatusCode.Internal,
                $"Failed to deserialize {typeof(T).Name}: string field '{field}' is not valid UTF-8, as protobuf strings must be.");
        }

        return message;
    }
}
