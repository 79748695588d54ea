using System.IO.Pipelines;
using System.Net;

namespace SlmCluster.Grpc.Transport;

/// <summary>
/// One request/response exchange on an <see cref="Http2ClientConnection"/>: the response headers, the body as it
/// arrives and the trailers. The connection's read loop is the only writer of the body; the caller reads it through
/// <see cref="Http2ResponseStream"/>, and its reads complete on the read loop's thread, without a hand-off.
/// </summary>
internal sealed class Http2ClientStream : IHttp2SendWindow
{
    private readonly Http2ClientConnection _connection;
    private readonly HttpRequestMessage _request;
    private readonly TaskCompletionSource<HttpResponseMessage> _response = new();
    private readonly Pipe _body = new(Http2BodyPipe.Options);
    private HttpResponseMessage? _responseMessage;
    private int _released;
    private int _unacknowledged;
    private volatile bool _aborted;

    public Http2ClientStream(Http2ClientConnection connection, HttpRequestMessage request)
    {
        _connection = connection;
        _request = request;
    }

    public int Id { get; set; }

    /// <summary>What this side may still send on the stream (guarded by the connection's lock).</summary>
    public long SendWindow { get; set; }

    /// <summary>Both ends are closed, or the stream was reset: the read loop has forgotten it.</summary>
    public bool IsFinished { get; private set; }

    public Task<HttpResponseMessage> ResponseTask => _response.Task;

    internal PipeReader BodyReader => _body.Reader;

    /// <summary>Read loop: a header block for this stream, response headers first, then (ending the stream) trailers.</summary>
    public void OnHeaders(List<(string Name, string Value)> fields, bool endStream)
    {
        if (_aborted)
        {
            return;
        }

        if (_responseMessage is null)
        {
            var status = -1;
            foreach (var (name, value) in fields)
            {
                if (name == ":status" && int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
                {
                    status = parsed;
                }
            }

            if (status < 100 || status > 999)
            {
                _connection.ResetStream(this, Http2Frame.ProtocolError, new HttpRequestException(HttpRequestError.InvalidResponse, "The server's response headers have no valid :status."));
                return;
            }

            if (status < 200 && !endStream)
            {
                return; // informational (100 Continue and the like): the real response follows
            }

            var response = new HttpResponseMessage((HttpStatusCode)status)
            {
                Version = HttpVersion.Version20,
                RequestMessage = _request,
                Content = new Http2ResponseContent(new Http2ResponseStream(this)),
            };

            foreach (var (name, value) in fields)
            {
                if (name.Length > 0 && name[0] != ':' && !response.Headers.TryAddWithoutValidation(name, value))
                {
                    response.Content.Headers.TryAddWithoutValidation(name, value);
                }
            }

            _responseMessage = response;
            if (endStream)
            {
                EndBody(null);
            }

            // Completes inline: the caller's continuation runs here, on the read loop, with no thread hand-off.
            _response.TrySetResult(response);
            return;
        }

        if (!endStream)
        {
            _connection.ResetStream(this, Http2Frame.ProtocolError, new IOException("The server sent a second header block that does not end the stream."));
            return;
        }

        foreach (var (name, value) in fields)
        {
            if (name.Length > 0 && name[0] != ':')
            {
                _responseMessage.TrailingHeaders.TryAddWithoutValidation(name, value);
            }
        }

        EndBody(null);
    }

    /// <summary>Read loop: a DATA frame's payload for this stream.</summary>
    public void OnData(ReadOnlySpan<byte> payload, bool endStream)
    {
        if (_aborted)
        {
            return;
        }

        if (_responseMessage is null)
        {
            _connection.ResetStream(this, Http2Frame.ProtocolError, new HttpRequestException(HttpRequestError.InvalidResponse, "The server sent data before response headers."));
            return;
        }

        Http2BodyPipe.Append(_body.Writer, payload, endStream);

        if (endStream)
        {
            EndBody(null);
        }
    }

    /// <summary>Read loop: the stream ended in error (a reset, the connection lost, a protocol error).</summary>
    public void Fail(Exception error)
    {
        if (_responseMessage is null)
        {
            _response.TrySetException(error);
        }

        EndBody(error);
    }

    /// <summary>The caller gave up (cancelled, or disposed the response early): reset the stream and wake any pending read.</summary>
    public void Abort()
    {
        if (_aborted || IsFinished)
        {
            return;
        }

        _aborted = true;
        _response.TrySetCanceled();
        _body.Reader.CancelPendingRead();
        _connection.CancelStream(this);
    }

    public bool IsAborted => _aborted;

    /// <summary>Caller side: <paramref name="count"/> body bytes were read; the window is reopened in large steps.</summary>
    public void OnConsumed(int count)
    {
        if (IsFinished || _aborted)
        {
            return;
        }

        var pending = Interlocked.Add(ref _unacknowledged, count);
        if (pending >= Http2ClientConnection.StreamReceiveWindow / 2)
        {
            Interlocked.Add(ref _unacknowledged, -pending);
            _connection.CreditStream(this, pending);
        }
    }

    /// <summary>True once; the connection then stops counting the stream against its limit.</summary>
    public bool TryRelease() => Interlocked.Exchange(ref _released, 1) == 0;

    private void EndBody(Exception? error)
    {
        if (IsFinished)
        {
            return;
        }

        IsFinished = true;
        _connection.Forget(this);

        // The body ends after the trailers are in place: the reader looks at them once it sees the end.
        _body.Writer.Complete(error);
    }
}
