using System.Buffers;
using System.IO.Pipelines;

namespace SlmCluster.Grpc.Transport;

/// <summary>
/// The response body as the handler writes it: bytes gather in one pooled buffer and leave, framed as DATA, when the
/// handler flushes (or with the trailers when the response ends). No pipe and no writer thread stand in between.
/// </summary>
internal sealed class Http2ResponseBodyWriter : PipeWriter
{
    private const int MinimumBuffer = 4096;

    private readonly Http2ServerStream _stream;
    private byte[]? _buffer;
    private int _length;

    public Http2ResponseBodyWriter(Http2ServerStream stream) => _stream = stream;

    /// <summary>What was written and not yet sent.</summary>
    public ReadOnlySequence<byte> Buffered => _length == 0 ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_buffer!, 0, _length);

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _length;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_length);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_length);
    }

    public override void Advance(int bytes)
    {
        if (bytes < 0 || _length + bytes > (_buffer?.Length ?? 0))
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), "Advanced past the memory handed out.");
        }

        _length += bytes;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => _stream.FlushAsync(cancellationToken);

    public override void CancelPendingFlush()
    {
    }

    public override void Complete(Exception? exception = null)
    {
        // The response ends when the handler returns; the server sends the rest with the trailers then.
    }

    public override ValueTask CompleteAsync(Exception? exception = null) => ValueTask.CompletedTask;

    /// <summary>The buffered bytes were sent (or dropped with the stream).</summary>
    public void Reset() => _length = 0;

    /// <summary>The stream is over: the buffer goes back to the pool.</summary>
    public void Release()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            _length = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        var needed = _length + Math.Max(sizeHint, 1);
        if (_buffer is not null && needed <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(MinimumBuffer, (_buffer?.Length ?? 0) * 2)));
        if (_buffer is { } old)
        {
            old.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(old);
        }

        _buffer = larger;
    }
}
