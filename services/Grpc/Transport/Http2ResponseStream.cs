using System.Buffers;
using System.IO.Pipelines;

namespace SlmCluster.Grpc.Transport;

/// <summary>The response body of one HTTP/2 stream, read-only and read asynchronously.</summary>
internal sealed class Http2ResponseStream : Stream
{
    private readonly Http2ClientStream _stream;
    private readonly PipeReader _reader;
    private bool _disposed;

    public Http2ResponseStream(Http2ClientStream stream)
    {
        _stream = stream;
        _reader = stream.BodyReader;
    }

    /// <summary>The same body as a <see cref="PipeReader"/> over the stream's own pipe (read one way or the other, not both).</summary>
    public PipeReader AsPipeReader() => new Http2BodyReader(_reader, count => _stream.OnConsumed((int)count), _ => Dispose());

    public override bool CanRead => !_disposed;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The response was aborted.");
            }

            var data = result.Buffer;
            if (!data.IsEmpty)
            {
                var count = (int)Math.Min(data.Length, buffer.Length);
                data.Slice(0, count).CopyTo(buffer.Span);
                _reader.AdvanceTo(data.GetPosition(count));
                _stream.OnConsumed(count);
                return count;
            }

            _reader.AdvanceTo(data.Start, data.End);
            if (result.IsCompleted)
            {
                return 0;
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("The HTTP/2 response body is read asynchronously.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;

            // Leaving before the end resets the stream, so the server stops working for nobody.
            _stream.Abort();
            _reader.Complete();
        }

        base.Dispose(disposing);
    }
}
