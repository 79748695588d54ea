using System.Buffers;
using System.IO.Pipelines;

namespace SlmCluster.Grpc.Transport;

/// <summary>
/// The request body as the handler reads it. Every byte the handler gets to see is credited back to the client's
/// flow-control windows, so a message larger than the window still arrives even when the reader examines it whole
/// before consuming any of it; what the handler has not seen stays bounded by the window.
/// </summary>
internal sealed class Http2RequestBodyReader : PipeReader
{
    private readonly PipeReader _inner;
    private readonly Http2ServerStream _stream;
    private ReadOnlySequence<byte> _last;
    private long _consumed;
    private long _observed;

    public Http2RequestBodyReader(PipeReader inner, Http2ServerStream stream)
    {
        _inner = inner;
        _stream = stream;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var pending = _inner.ReadAsync(cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            var result = pending.Result;
            Observe(result);
            return new ValueTask<ReadResult>(result);
        }

        return ReadSlowAsync(pending);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!_inner.TryRead(out result))
        {
            return false;
        }

        Observe(result);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed)
    {
        _consumed += _last.Slice(_last.Start, consumed).Length;
        _inner.AdvanceTo(consumed);
    }

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _consumed += _last.Slice(_last.Start, consumed).Length;
        _inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    private async ValueTask<ReadResult> ReadSlowAsync(ValueTask<ReadResult> pending)
    {
        var result = await pending.ConfigureAwait(false);
        Observe(result);
        return result;
    }

    private void Observe(ReadResult result)
    {
        _last = result.Buffer;
        var seen = _consumed + result.Buffer.Length;
        if (seen > _observed)
        {
            var fresh = seen - _observed;
            _observed = seen;
            _stream.OnObserved(fresh);
        }
    }
}
