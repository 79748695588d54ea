using System.IO.Pipelines;
using Google.Protobuf;
using SlmCluster.Grpc.Protocol;

namespace SlmCluster.Grpc.Server;

/// <summary>
/// Writes each message into the response pipe and flushes it at once: tokens must not wait in a buffer. A write with
/// <see cref="WriteFlags.BufferHint"/> stays in the pipe for the next flush, or for the end of the call, which sends it with the trailers.
/// </summary>
internal sealed class HttpResponseStreamWriter<T> : IServerStreamWriter<T>
    where T : IMessage<T>
{
    private readonly PipeWriter _output;
    private readonly ServerCallContext _context;
    private readonly int _maxMessageSize;

    public HttpResponseStreamWriter(PipeWriter output, ServerCallContext context, int maxMessageSize)
    {
        _output = output;
        _context = context;
        _maxMessageSize = maxMessageSize;
    }

    public WriteOptions? WriteOptions { get; set; }

    public async Task WriteLastAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ThrowIfCannotWrite(cancellationToken);

        GrpcMessageWriter.Write(_output, message, _maxMessageSize);
        _context.ResponseStarted = true;
        _context.EndedEarly = true;
        var response = _context.HttpContext.Response;
        GrpcServerStatus.WriteTrailers(response, StatusCode.OK, string.Empty, _context.ResponseTrailersOrNull);
        await response.CompleteAsync();
    }

    public async Task WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ThrowIfCannotWrite(cancellationToken);
        var callToken = _context.CancellationToken;

        GrpcMessageWriter.Write(_output, message, _maxMessageSize);
        _context.ResponseStarted = true;
        if (WriteOptions?.Flags.HasFlag(WriteFlags.BufferHint) == true)
        {
            return;
        }

        FlushResult result;
        if (!cancellationToken.CanBeCanceled || cancellationToken == callToken)
        {
            result = await _output.FlushAsync(callToken);
        }
        else
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(callToken, cancellationToken);
            result = await _output.FlushAsync(linked.Token);
        }

        if (result.IsCanceled)
        {
            throw new OperationCanceledException("Writing the response message was canceled.");
        }

        // A flush into a stream the client has reset completes quietly; the call token tells.
        callToken.ThrowIfCancellationRequested();
    }

    private void ThrowIfCannotWrite(CancellationToken cancellationToken)
    {
        if (_context.EndedEarly)
        {
            throw new InvalidOperationException("The call has ended (its last message was written); nothing more can be sent.");
        }

        _context.CancellationToken.ThrowIfCancellationRequested();
        cancellationToken.ThrowIfCancellationRequested();
    }
}
