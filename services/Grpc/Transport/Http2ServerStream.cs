using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace SlmCluster.Grpc.Transport;

/// <summary>
/// One request on an <see cref="Http2ServerConnection"/>, seen by the application as an <see cref="HttpContext"/>:
/// this object is the request, response, body, trailers and lifetime features at once. The connection's read loop
/// feeds the request body; the handler's own thread writes the response straight onto the socket.
/// </summary>
internal sealed class Http2ServerStream :
    IHttp2SendWindow,
    IHttpRequestFeature,
    IHttpResponseFeature,
    IHttpResponseBodyFeature,
    IRequestBodyPipeFeature,
    IHttpResponseTrailersFeature,
    IHttpRequestLifetimeFeature,
    IHttpRequestBodyDetectionFeature,
    IHttpResetFeature
{
    private readonly Http2ServerConnection _connection;
    private readonly Pipe _requestPipe = new(Http2BodyPipe.Options);
    private readonly Http2BodyReader _requestReader;
    private readonly Http2ResponseBodyWriter _responseWriter;
    private readonly CancellationTokenSource _aborted = new();
    private readonly Lock _bodyLock = new(); // the read loop writes the body; a reset from another thread may end it
    private List<(Func<object, Task> Callback, object State)>? _onStarting;
    private List<(Func<object, Task> Callback, object State)>? _onCompleted;
    private Stream? _requestStream;
    private Stream? _responseStream;
    private int _resetState;

    public Http2ServerStream(Http2ServerConnection connection, int id, bool requestEnded)
    {
        _connection = connection;
        Id = id;
        RequestEnded = requestEnded;
        _requestReader = new Http2BodyReader(_requestPipe.Reader, OnObserved, _requestPipe.Reader.Complete);
        _responseWriter = new Http2ResponseBodyWriter(this);
        RequestAborted = _aborted.Token;
        if (requestEnded)
        {
            _requestPipe.Writer.Complete();
        }
    }

    public int Id { get; }

    /// <summary>What this side may still send on the stream (guarded by the connection's lock).</summary>
    public long SendWindow { get; set; }

    /// <summary>What the client may still send before this side reopens the window (guarded by the connection's lock).</summary>
    public long ReceiveWindow { get; set; } = Http2ServerConnection.StreamReceiveWindow;

    /// <summary>Body bytes the handler has seen and the client has not yet been credited for (guarded by the connection's lock).</summary>
    public long UncreditedBytes { get; set; }

    /// <summary>Body bytes received; the connection credits what the handler never read when the stream ends.</summary>
    public long ReceivedBytes { get; set; }

    /// <summary>Body bytes the handler has seen (and so were credited).</summary>
    public long ObservedBytes { get; set; }

    /// <summary>The client's END_STREAM arrived (or the request came without a body).</summary>
    public bool RequestEnded { get; private set; }

    /// <summary>Response headers are on the wire.</summary>
    public bool HeadersSent { get; set; }

    /// <summary>END_STREAM went out: the response is complete.</summary>
    public bool ResponseEnded { get; set; }

    /// <summary>The client reset the stream, or the connection is gone: nothing more is sent or received.</summary>
    public bool IsReset => Volatile.Read(ref _resetState) != 0;

    // IHttpRequestFeature
    public string Protocol { get; set; } = "HTTP/2";

    public string Scheme { get; set; } = "http";

    public string Method { get; set; } = "";

    public string PathBase { get; set; } = "";

    public string Path { get; set; } = "";

    public string QueryString { get; set; } = "";

    public string RawTarget { get; set; } = "";

    IHeaderDictionary IHttpRequestFeature.Headers { get; set; } = new HeaderDictionary();

    Stream IHttpRequestFeature.Body
    {
        get => _requestStream ??= _requestReader.AsStream();
        set => _requestStream = value;
    }

    // IHttpResponseFeature
    public int StatusCode { get; set; } = StatusCodes.Status200OK;

    public string? ReasonPhrase { get; set; }

    IHeaderDictionary IHttpResponseFeature.Headers { get; set; } = new HeaderDictionary();

    [Obsolete("Use IHttpResponseBodyFeature.Stream.")]
    Stream IHttpResponseFeature.Body
    {
        get => ((IHttpResponseBodyFeature)this).Stream;
        set => throw new NotSupportedException("The response body of this server cannot be replaced.");
    }

    public bool HasStarted => HeadersSent;

    // IHttpResponseBodyFeature
    Stream IHttpResponseBodyFeature.Stream => _responseStream ??= _responseWriter.AsStream(leaveOpen: true);

    PipeWriter IHttpResponseBodyFeature.Writer => _responseWriter;

    // IRequestBodyPipeFeature
    PipeReader IRequestBodyPipeFeature.Reader => _requestReader;

    // IHttpResponseTrailersFeature
    public IHeaderDictionary Trailers { get; set; } = new HeaderDictionary();

    // IHttpRequestLifetimeFeature
    public CancellationToken RequestAborted { get; set; }

    // IHttpRequestBodyDetectionFeature
    public bool CanHaveBody => !RequestEnded || ReceivedBytes > 0;

    public IHeaderDictionary RequestHeaders => ((IHttpRequestFeature)this).Headers;

    public IHeaderDictionary ResponseHeaders => ((IHttpResponseFeature)this).Headers;

    public void OnStarting(Func<object, Task> callback, object state) => (_onStarting ??= []).Add((callback, state));

    public void OnCompleted(Func<object, Task> callback, object state) => (_onCompleted ??= []).Add((callback, state));

    public void DisableBuffering()
    {
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => FlushAsync(cancellationToken).AsTask();

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This server does not send files.");

    /// <summary>Ends the response: what is buffered, then the trailers (or END_STREAM on the headers when nothing else was sent).</summary>
    public async Task CompleteAsync()
    {
        if (ResponseEnded || IsReset)
        {
            return;
        }

        await RunOnStartingAsync().ConfigureAwait(false);
        var trailers = Trailers.Count > 0 ? Trailers : null;
        await _connection.SendAsync(this, _responseWriter.Buffered, endStream: true, trailers).ConfigureAwait(false);
        _responseWriter.Reset();
    }

    public void Abort() => _connection.ResetStream(this, Http2Frame.InternalError);

    public void Reset(int errorCode) => _connection.ResetStream(this, (uint)errorCode);

    /// <summary>Sends what the handler has written so far (and the response headers before the first of it).</summary>
    public async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken)
    {
        if (!ResponseEnded && !IsReset)
        {
            await RunOnStartingAsync().ConfigureAwait(false);
            await _connection.SendAsync(this, _responseWriter.Buffered, endStream: false, trailers: null, cancellationToken).ConfigureAwait(false);
        }

        _responseWriter.Reset();

        // A flush into a stream the client reset completes quietly; the request's token tells the handler.
        return new FlushResult(isCanceled: false, isCompleted: IsReset);
    }

    /// <summary>Read loop: a DATA payload for the request body.</summary>
    public void OnData(ReadOnlySpan<byte> data, bool endStream)
    {
        lock (_bodyLock)
        {
            if (RequestEnded)
            {
                return;
            }

            // The handler's waiting read runs inline from here; the lock is re-entrant, so a handler that resets its own
            // stream from there does not wait on itself.
            Http2BodyPipe.Append(_requestPipe.Writer, data, endStream);

            if (endStream)
            {
                RequestEnded = true;
                _requestPipe.Writer.Complete();
            }
        }
    }

    /// <summary>Read loop: the request ended (END_STREAM on trailing HEADERS).</summary>
    public void EndRequest() => EndBody(null);

    /// <summary>Handler's thread: it has now seen <paramref name="count"/> more body bytes.</summary>
    public void OnObserved(long count)
    {
        if (count > 0)
        {
            _connection.CreditObserved(this, count);
        }
    }

    /// <summary>The stream is over for good (reset by either side, or the connection lost): wake and cancel the handler.</summary>
    public void MarkReset(Exception reason)
    {
        if (Interlocked.Exchange(ref _resetState, 1) != 0)
        {
            return;
        }

        EndBody(reason);

        try
        {
            _aborted.Cancel();
        }
        catch (AggregateException)
        {
            // A callback failed; the handler is being cancelled regardless.
        }
    }

    /// <summary>After the handler: completion callbacks, then the stream's resources.</summary>
    public async Task FinishAsync()
    {
        if (_onCompleted is { } completed)
        {
            for (var i = completed.Count - 1; i >= 0; i--)
            {
                try
                {
                    await completed[i].Callback(completed[i].State).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // A completion callback's failure cannot change a response already sent.
                }
            }
        }

        _responseWriter.Release();
        _requestReader.Complete();
        EndBody(null);
        _aborted.Dispose();
    }

    private void EndBody(Exception? error)
    {
        lock (_bodyLock)
        {
            if (!RequestEnded)
            {
                RequestEnded = true;
                _requestPipe.Writer.Complete(error);
            }
        }
    }

    private async ValueTask RunOnStartingAsync()
    {
        if (HeadersSent || _onStarting is not { } starting)
        {
            return;
        }

        _onStarting = null;
        for (var i = starting.Count - 1; i >= 0; i--)
        {
            await starting[i].Callback(starting[i].State).ConfigureAwait(false);
        }
    }

    /// <summary>Builds the request headers from a decoded, validated header list.</summary>
    public void SetRequestHeaders(List<(string Name, string Value)> fields)
    {
        var headers = RequestHeaders;
        foreach (var (name, value) in fields)
        {
            switch (name)
            {
                case ":method":
                    Method = value;
                    break;
                case ":scheme":
                    Scheme = value;
                    break;
                case ":path":
                    RawTarget = value;
                    var query = value.IndexOf('?');
                    Path = Uri.UnescapeDataString(query < 0 ? value : value[..query]);
                    QueryString = query < 0 ? "" : value[query..];
                    break;
                case ":authority":
                    headers.Host = value;
                    break;
                default:
                    headers[name] = StringValues.Concat(headers[name], value);
                    break;
            }
        }
    }
}
