using System.Buffers;

namespace SlmCluster.Grpc.Transport;

/// <summary>Lays out a run of frames for one stream in one pooled buffer, so they leave in a single send.</summary>
internal static class Http2FrameBuilder
{
    /// <summary>
    /// HEADERS (+ CONTINUATION) when <paramref name="headerBlock"/> is given, then DATA frames carrying
    /// <paramref name="data"/>, then a closing HEADERS block when <paramref name="trailerBlock"/> is given. END_STREAM
    /// goes on the trailers when there are any, otherwise on the last frame (an empty DATA frame when there is no other)
    /// when <paramref name="endStream"/>.
    /// The buffer comes from <see cref="ArrayPool{T}.Shared"/>; the caller returns it.
    /// </summary>
    public static (byte[] Frames, int Length) Build(int streamId, ReadOnlySpan<byte> headerBlock, bool hasHeaders,
        ReadOnlySequence<byte> data, bool endStream, ReadOnlySpan<byte> trailerBlock, bool hasTrailers, int maxFrameSize)
    {
        var dataLength = (int)data.Length;
        var frameCount = (headerBlock.Length / maxFrameSize) + 1 + (dataLength / maxFrameSize) + 1 + (trailerBlock.Length / maxFrameSize) + 1;
        var frames = ArrayPool<byte>.Shared.Rent(headerBlock.Length + dataLength + trailerBlock.Length + (frameCount * Http2Frame.HeaderSize));
        var position = 0;
        if (hasHeaders)
        {
            position = WriteHeaderBlock(frames, position, streamId, headerBlock, endStream && dataLength == 0 && !hasTrailers, maxFrameSize);
        }

        var sent = 0;
        foreach (var segment in data)
        {
            var piece = segment.Span;
            while (!piece.IsEmpty)
            {
                var size = Math.Min(maxFrameSize, piece.Length);
                var last = sent + size == dataLength;
                var flags = endStream && last && !hasTrailers ? Http2Frame.EndStream : (byte)0;
                Http2Frame.WriteHeader(frames.AsSpan(position), size, Http2Frame.Data, flags, streamId);
                piece[..size].CopyTo(frames.AsSpan(position + Http2Frame.HeaderSize));
                position += Http2Frame.HeaderSize + size;
                sent += size;
                piece = piece[size..];
            }
        }

        if (hasTrailers)
        {
            position = WriteHeaderBlock(frames, position, streamId, trailerBlock, endStream: true, maxFrameSize);
        }
        else if (endStream && !hasHeaders && dataLength == 0)
        {
            // Nothing else to carry END_STREAM: an empty DATA frame does.
            Http2Frame.WriteHeader(frames.AsSpan(position), 0, Http2Frame.Data, Http2Frame.EndStream, streamId);
            position += Http2Frame.HeaderSize;
        }

        return (frames, position);
    }

    private static int WriteHeaderBlock(byte[] frames, int position, int streamId, ReadOnlySpan<byte> block, bool endStream, int maxFrameSize)
    {
        var offset = 0;
        var type = Http2Frame.Headers;
        do
        {
            var size = Math.Min(maxFrameSize, block.Length - offset);
            var flags = offset + size == block.Length ? Http2Frame.EndHeaders : (byte)0;
            if (type == Http2Frame.Headers && endStream)
            {
                flags |= Http2Frame.EndStream;
            }

            Http2Frame.WriteHeader(frames.AsSpan(position), size, type, flags, streamId);
            block.Slice(offset, size).CopyTo(frames.AsSpan(position + Http2Frame.HeaderSize));
            position += Http2Frame.HeaderSize + size;
            offset += size;
            type = Http2Frame.Continuation;
        }
        while (offset < block.Length);

        return position;
    }
}
