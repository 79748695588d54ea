using System.Buffers;
using System.IO.Pipelines;

namespace SlmCluster.Grpc.Transport;

/// <summary>
/// A stream's incoming body as its reader sees it, straight from the pipe the read loop fills. Every byte the reader
/// gets to see is reported (to reopen the peer's flow-control windows), not only what it consumes: a message larger
/// than the window then still arrives when the reader examines it whole before consuming any of it, and what it lets
/// in stays bounded by the message size limit the reader applies.
/// </summary>
internal sealed class Http2BodyReader : PipeReader
{
    private readonly PipeReader _inner;
    private readonly Action<long> _seen;
    private readonly Action<Exception?> _complete;
    private ReadOnlySequence<byte> _last;
    private long _consumed;
    private long _observed;

    /// <param name="inner">The stream's pipe.</param>
    /// <param name="seen">Told how many more bytes the reader has seen.</param>
    /// <param name="complete">What completing the reader does (the pipe's own completion, or resetting an unfinished stream).</param>
    public Http2BodyReader(PipeReader inner, Action<long> seen, Action<Exception?> complete)
    {
        _inner = inner;
        _seen = seen;
        _complete = complete;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var pending = _inner.ReadAsync(cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            Observe(pending.Result);
            return pending;
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

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _consumed += _last.Slice(_last.Start, consumed).Length;
        _inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _complete(exception);

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
            _seen(fresh);
        }
    }
}
