using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using SlmCluster.Grpc.Protocol;

namespace SlmCluster.Grpc.Client;

/// <summary>
/// One call from the client's side: sends the request, reads messages as they arrive, and turns whatever ends the
/// call (trailers, an HTTP error, a reset, a broken connection, the deadline, the caller) into one gRPC status.
/// </summary>
internal sealed class GrpcClientCall<TResponse> : IDisposable
    where TResponse : IMessage<TResponse>
{
    // CancellationTokenSource timers cannot go further; a longer deadline is only enforced by the server.
    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromMilliseconds(int.MaxValue);

    private static readonly StreamPipeReaderOptions BodyReaderOptions = new(bufferSize: 4096, minimumReadSize: 512);

    private readonly GrpcChannel _channel;
    private readonly string _path;
    private readonly MessageParser<TResponse> _parser;
    private readonly CallOptions _options;
    private readonly DateTime? _deadline;
    private readonly CancellationTokenSource _callSource;
    private readonly CancellationTokenRegistration _resetOnCancel;

    private HttpResponseMessage? _response;
    private PipeReader? _body;
    private Metadata? _trailers;
    private volatile bool _canceledByCaller;
    private bool _finished;
    private bool _disposed;

    public GrpcClientCall(GrpcChannel channel, string path, MessageParser<TResponse> parser, CallOptions options)
    {
        _channel = channel;
        _path = path;
        _parser = parser;
        _options = options;
        _deadline = options.Deadline switch
        {
            null => null,
            { } deadline when deadline == DateTime.MaxValue => null,
            { Kind: DateTimeKind.Local } deadline => deadline.ToUniversalTime(),
            { } deadline => deadline, // deadlines are UTC; an unspecified kind is taken as such
        };
        _callSource = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);

        // Resets the HTTP/2 stream at once, even when no read is pending, so the server stops working for nobody.
        _resetOnCancel = _callSource.Token.UnsafeRegister(static state => ((GrpcClientCall<TResponse>)state!).ResetStream(), this);
    }

    /// <summary>Sends the request and waits for the response headers.</summary>
    public async Task<Metadata> StartAsync<TRequest>(TRequest request)
        where TRequest : IMessage<TRequest>
    {
        TimeSpan? timeout = null;
        if (_deadline is { } deadline)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw Finish(new RpcException(StatusCode.DeadlineExceeded, "Deadline exceeded before the call started."));
            }

            timeout = remaining;
            if (remaining < MaxTimerDelay)
            {
                _callSource.CancelAfter(remaining);
            }
        }

        HttpResponseMessage response;
        try
        {
            var httpRequest = CreateRequest(request, timeout);
            response = await _channel.Invoker.SendAsync(httpRequest, _callSource.Token).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Finish(ex);
        }
        catch (Exception ex)
        {
            throw Finish(ToRpcException(ex));
        }

        _response = response;
        if (_callSource.IsCancellationRequested)
        {
            throw Finish(ToRpcException(new OperationCanceledException()));
        }

        var headers = ToMetadata(response.Headers);

        if (response.StatusCode != HttpStatusCode.OK)
        {
            // Not a gRPC answer (a proxy, a plain HTTP server), unless the server still said what went wrong.
            var httpStatus = (int)response.StatusCode;
            throw Finish(TryReadStatus(response.Headers, out var refusedCode, out var refusedDetail)
                ? new RpcException(refusedCode, refusedDetail, headers)
                : new RpcException(GrpcStatusHttp.FromHttpStatus(httpStatus), $"Bad gRPC response. HTTP status code: {httpStatus}.", headers));
        }

        if (TryReadStatus(response.Headers, out var code, out var detail))
        {
            // Trailers-Only: the status came in the headers and there is no body.
            _trailers = headers;
            _finished = true;
            ReleaseResponse();
            if (code != StatusCode.OK)
            {
                throw new RpcException(code, detail, headers);
            }

            return headers;
        }

        var contentType = response.Content.Headers.ContentType?.ToString();
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            throw Finish(new RpcException(StatusCode.Internal, $"Bad gRPC response. Content-Type '{contentType}' is not gRPC."));
        }

        try
        {
            var stream = await response.Content.ReadAsStreamAsync(_callSource.Token).ConfigureAwait(false);
            _body = stream is Transport.Http2ResponseStream h2 ? h2.AsPipeReader() : PipeReader.Create(stream, BodyReaderOptions);
        }
        catch (Exception ex)
        {
            throw Finish(ToRpcException(ex));
        }

        return headers;
    }

    /// <summary>The next response message, or null once the call has ended with OK.</summary>
    public async ValueTask<TResponse?> ReadNextAsync()
    {
        if (_finished || _body is null)
        {
            return default;
        }

        try
        {
            var message = await GrpcMessageReader.ReadMessageAsync(_body, _parser, _channel.MaxReceiveMessageSize, _callSource.Token).ConfigureAwait(false);
            if (message is not null)
            {
                return message;
            }
        }
        catch (RpcException ex) when (!_callSource.IsCancellationRequested)
        {
            throw Finish(ex);
        }
        catch (Exception ex)
        {
            throw Finish(ToRpcException(ex));
        }

        // The body ended: the status is in the trailers.
        var trailingHeaders = _response!.TrailingHeaders;
        _trailers = ToMetadata(trailingHeaders);
        _finished = true;
        ReleaseResponse();

        if (!TryReadStatus(trailingHeaders, out var code, out var detail))
        {
            throw new RpcException(StatusCode.Internal, "The response ended without a grpc-status trailer.", _trailers);
        }

        if (code != StatusCode.OK)
        {
            throw new RpcException(code, detail, _trailers);
        }

        return default;
    }

    /// <summary>Reads the one message of a unary response, then the status behind it.</summary>
    public async Task<TResponse> ReadSingleAsync()
    {
        var message = await ReadNextAsync().ConfigureAwait(false);
        if (message is null)
        {
            throw new RpcException(StatusCode.Internal, "The server ended the call with OK but sent no response message.", _trailers);
        }

        if (await ReadNextAsync().ConfigureAwait(false) is not null)
        {
            throw Finish(new RpcException(StatusCode.Internal, "The server sent more than one message for a unary call."));
        }

        return message;
    }

    public Metadata GetTrailers()
    {
        if (!_finished)
        {
            throw new InvalidOperationException("Trailers are available once the response has been read to the end.");
        }

        return _trailers ??= new Metadata();
    }

    /// <summary>Cancels the call on behalf of its caller: it ends with CANCELLED and the server sees a reset.</summary>
    public void Cancel()
    {
        if (_finished)
        {
            return;
        }

        _canceledByCaller = true;
        try
        {
            _callSource.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: the call is already over.
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_finished)
        {
            // Dropping a call still in flight cancels it: a pending send or read ends, and the stream is reset.
            _canceledByCaller = true;
            _callSource.Cancel();
            _finished = true;
        }

        ReleaseResponse();
        _callSource.Dispose();
    }

    private HttpRequestMessage CreateRequest<TRequest>(TRequest request, TimeSpan? timeout)
        where TRequest : IMessage<TRequest>
    {
        var httpRequest = new HttpRequestMessage(HttpMethod.Post, _channel.GetMethodUri(_path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new GrpcRequestContent(request, _channel.MaxSendMessageSize),
        };

        var headers = httpRequest.Headers;
        headers.TryAddWithoutValidation(GrpcProtocol.TeHeader, GrpcProtocol.TeTrailers);
        headers.TryAddWithoutValidation("User-Agent", GrpcProtocol.UserAgent);
        if (timeout is { } value)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(value));
        }

        if (_options.Headers is { } metadata)
        {
            foreach (var (key, entry) in metadata)
            {
                headers.TryAddWithoutValidation(key, entry);
            }
        }

        return httpRequest;
    }

    private RpcException ToRpcException(Exception exception)
    {
        if (_callSource.IsCancellationRequested)
        {
            return _canceledByCaller || _options.CancellationToken.IsCancellationRequested
                ? new RpcException(StatusCode.Cancelled, "Call canceled by the client.", trailers: null, exception)
                : new RpcException(StatusCode.DeadlineExceeded, "Deadline exceeded.", trailers: null, exception);
        }

        if (FindInner<HttpProtocolException>(exception) is { } reset)
        {
            var code = GrpcStatusHttp.FromHttp2ErrorCode(reset.ErrorCode);

            // The spec: a server's CANCEL after the deadline passed is the deadline, seen from the other side.
            if (code == StatusCode.Cancelled && _deadline <= DateTime.UtcNow)
            {
                code = StatusCode.DeadlineExceeded;
            }

            return new RpcException(code, $"The server reset the stream (HTTP/2 error code 0x{reset.ErrorCode:X}): {reset.Message}", trailers: null, exception);
        }

        return exception switch
        {
            HttpRequestException or IOException =>
                new RpcException(StatusCode.Unavailable, $"Error talking to {_channel.Address}: {exception.Message}", trailers: null, exception),
            OperationCanceledException =>
                new RpcException(StatusCode.Cancelled, "Call canceled.", trailers: null, exception),
            _ => new RpcException(StatusCode.Internal, $"Call failed: {exception.GetType().Name}: {exception.Message}", trailers: null, exception),
        };
    }

    private RpcException Finish(RpcException exception)
    {
        _trailers ??= exception.Trailers;
        _finished = true;
        ReleaseResponse();
        return exception;
    }

    private void ResetStream()
    {
        // Only the response is disposed here, never the pipe reader: a read may be running on another thread.
        Volatile.Read(ref _response)?.Dispose();
    }

    private void ReleaseResponse()
    {
        // Waits for a running ResetStream callback, so the response is never disposed from two threads at once.
        _resetOnCancel.Dispose();

        var body = _body;
        _body = null;
        body?.Complete();
        _response?.Dispose();
    }

    private static bool TryReadStatus(HttpHeaders headers, out StatusCode code, out string detail)
    {
        code = StatusCode.Unknown;
        detail = string.Empty;
        if (!headers.NonValidated.TryGetValues(GrpcProtocol.StatusHeader, out var statusValues))
        {
            return false;
        }

        if (!int.TryParse(statusValues.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status))
        {
            code = StatusCode.Unknown;
            detail = $"The server sent an invalid grpc-status '{statusValues}'.";
            return true;
        }

        code = (StatusCode)status;
        if (headers.NonValidated.TryGetValues(GrpcProtocol.MessageHeader, out var messageValues))
        {
            detail = GrpcStatusMessage.Decode(messageValues.ToString());
        }

        return true;
    }

    private static Metadata ToMetadata(HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers.NonValidated)
        {
            if (GrpcProtocol.IsReservedHeader(name))
            {
                continue;
            }

            foreach (var value in values)
            {
                metadata.AddFromWire(name, value);
            }
        }

        return metadata;
    }

    private static T? FindInner<T>(Exception exception)
        where T : Exception
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is T match)
            {
                return match;
            }
        }

        return null;
    }
}
