using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SlmCluster.Grpc.Transport;

/// <summary>
/// The server side of one HTTP/2 connection with prior knowledge (h2c). One read loop reads every frame; a request's
/// handler starts on it as soon as its headers are in and runs inline until it first waits, and request body data
/// reaches a waiting handler inline too. Responses are written by the handler's own thread, straight onto the socket
/// under a write lock: a streamed message leaves with no thread hand-off, which is what this server is for (the
/// gateway relays every token through it).
/// </summary>
internal sealed class Http2ServerConnection : Http2Connection<Http2ServerStream>
{
    /// <summary>The window this side opens for each request body (SETTINGS_INITIAL_WINDOW_SIZE).</summary>
    public const int StreamReceiveWindow = 1024 * 1024;

    /// <summary>The window this side opens for the whole connection.</summary>
    public const int ConnectionReceiveWindow = 2 * 1024 * 1024;

    private const int ReceiveBufferSize = 64 * 1024;

    private static readonly string[] StatusStrings = Enumerable.Range(0, 600).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    private readonly Func<HttpContext, Task> _application;
    private readonly IServiceScopeFactory _scopeFactory;
    private readonly ILogger _logger;
    private readonly GrpcH2cOptions _limits;
    private readonly HttpConnectionFeature _connectionFeature;
    private readonly HpackDecoder _decoder = new(maxHeaderListSize: MaxHeaderBlockSize);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Timer _timer;
    private readonly long _startedAt = Environment.TickCount64;

    // Guarded by Sync.
    private long _connectionReceiveWindow = ConnectionReceiveWindow;
    private long _connectionUncredited;
    private bool _goingAway;
    private long _idleSince = Environment.TickCount64;
    private int _runningHandlers;

    // Read loop only.
    private readonly List<(Http2ServerStream Stream, Func<HttpContext, Task> Application)> _pendingStarts = [];
    private volatile bool _handshakeDone; // the client's preface and first SETTINGS are in (the timer reads it)
    private int _lastStreamId;

    public Http2ServerConnection(Socket socket, Func<HttpContext, Task> application, IServiceScopeFactory scopeFactory, ILogger logger,
        GrpcH2cOptions limits, string connectionId)
        : base(socket)
    {
        _application = application;
        _scopeFactory = scopeFactory;
        _logger = logger;
        _limits = limits;
        var remote = socket.RemoteEndPoint as IPEndPoint;
        var local = socket.LocalEndPoint as IPEndPoint;
        _connectionFeature = new HttpConnectionFeature
        {
            ConnectionId = connectionId,
            RemoteIpAddress = remote?.Address,
            RemotePort = remote?.Port ?? 0,
            LocalIpAddress = local?.Address,
            LocalPort = local?.Port ?? 0,
        };
        _timer = new Timer(static state => ((Http2ServerConnection)state!).CheckTimeouts(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Completes once the socket is closed and every handler on the connection has finished.</summary>
    public Task Drained => _drained.Task;

    /// <summary>Serves the connection until the client leaves, a protocol error ends it, or it is closed.</summary>
    public async Task RunAsync()
    {
        var period = TimeSpan.FromMilliseconds(Math.Clamp(Math.Min(_limits.HandshakeTimeout.TotalMilliseconds, _limits.IdleTimeout.TotalMilliseconds) / 4, 10, 1000));
        _timer.Change(period, period);
        Exception? error = null;
        try
        {
            await SendServerPrefaceAsync().ConfigureAwait(false);
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Http2ConnectionException ex)
        {
            Http2ServerLog.ProtocolError(_logger, _connectionFeature.ConnectionId, Http2Frame.ErrorName(ex.ErrorCode), ex.Message);
            error = new IOException($"HTTP/2 protocol error: {ex.Message}", ex);
            await TrySendGoAwayAsync(_lastStreamId, ex.ErrorCode, ex.Message).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex is IOException ? ex : new IOException($"The connection failed: {ex.Message}", ex);
        }

        Close(error ?? new IOException("The client closed the connection."));
        List<Http2ServerStream> orphans;
        lock (Sync)
        {
            orphans = [.. Streams.Values];
            error = ClosedReason;
        }

        foreach (var stream in orphans)
        {
            stream.MarkReset(error!);
        }

        // Requests that arrived with the failing read still get their handler run (cancelled at once), so it is counted out.
        StartPendingStreams();
        ReleaseHeaderBlock();
        CheckDrained();
    }

    /// <summary>Graceful shutdown: GOAWAY tells the client that no new stream will be taken; the connection closes once its streams are done.</summary>
    public async Task ShutdownAsync()
    {
        bool idle;
        lock (Sync)
        {
            if (ClosedReason is not null || _goingAway)
            {
                return;
            }

            _goingAway = true;
            idle = Streams.Count == 0;
        }

        await TrySendGoAwayAsync(_lastStreamId, Http2Frame.NoError, "The server is shutting down.").ConfigureAwait(false);
        if (idle)
        {
            Close(new IOException("The server shut the connection down."));
        }
    }

    /// <summary>Closes the socket at once; open streams are reset and their handlers cancelled.</summary>
    public void Abort(string reason) => Close(new IOException(reason));

    /// <summary>
    /// Sends response bytes for <paramref name="stream"/>: the response headers first when they have not gone yet,
    /// then <paramref name="data"/> as the flow-control windows allow, then (ending the stream) the trailers.
    /// Returns quietly when the stream was reset or the connection is gone.
    /// </summary>
    internal async ValueTask SendAsync(Http2ServerStream stream, ReadOnlySequence<byte> data, bool endStream, IHeaderDictionary? trailers,
        CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (!data.IsEmpty && !await WaitForWindowAsync(stream, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            byte[] frames;
            int length;
            int count;
            bool done;
            try
            {
                lock (Sync)
                {
                    if (ClosedReason is not null || stream.IsReset || stream.ResponseEnded)
                    {
                        return;
                    }

                    count = TakeSendWindow(stream, data.Length);
                    done = count == data.Length;
                    var end = endStream && done;
                    var headerBlock = stream.HeadersSent ? null : EncodeResponseHeaders(stream);
                    var trailerBlock = end && trailers is not null ? EncodeTrailers(trailers) : null;
                    (frames, length) = Http2FrameBuilder.Build(stream.Id, headerBlock, headerBlock is not null, data.Slice(0, count), end,
                        trailerBlock, trailerBlock is not null, PeerMaxFrameSize);
                    stream.HeadersSent = true;
                    stream.ResponseEnded = end;
                }

                await TrySendFramesAsync(frames, length).ConfigureAwait(false);
            }
            finally
            {
                WriteLock.Release();
            }

            if (done)
            {
                return;
            }

            data = data.Slice(count);
        }
    }

    /// <summary>Resets <paramref name="stream"/> with <paramref name="errorCode"/> (unless it already ended) and cancels its handler.</summary>
    internal void ResetStream(Http2ServerStream stream, uint errorCode)
    {
        bool send;
        lock (Sync)
        {
            send = ClosedReason is null && !stream.IsReset && !(stream.ResponseEnded && stream.RequestEnded);
            SignalWindow();
        }

        stream.MarkReset(new IOException($"The stream was reset ({Http2Frame.ErrorName(errorCode)})."));
        if (send)
        {
            _ = WriteControlAsync(Http2Frame.RstStream, 0, stream.Id, errorCode);
        }
    }

    /// <summary>Handler's thread: <paramref name="count"/> more request body bytes were seen; let the client send that much more.</summary>
    internal void CreditObserved(Http2ServerStream stream, long count)
    {
        long streamCredit = 0;
        long connectionCredit;
        lock (Sync)
        {
            if (ClosedReason is not null)
            {
                return;
            }

            stream.ObservedBytes += count;
            if (!stream.RequestEnded && !stream.IsReset)
            {
                stream.UncreditedBytes += count;
                if (stream.UncreditedBytes >= StreamReceiveWindow / 4)
                {
                    streamCredit = stream.UncreditedBytes;
                    stream.UncreditedBytes = 0;
                    stream.ReceiveWindow += streamCredit;
                }
            }

            connectionCredit = TakeConnectionCredit(count);
        }

        if (streamCredit > 0)
        {
            _ = WriteControlAsync(Http2Frame.WindowUpdate, 0, stream.Id, (uint)streamCredit);
        }

        SendConnectionCredit(connectionCredit);
    }

    private async ValueTask<bool> WaitForWindowAsync(Http2ServerStream stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task opened;
            lock (Sync)
            {
                if (ClosedReason is not null || stream.IsReset)
                {
                    return false;
                }

                if (ConnectionSendWindow > 0 && stream.SendWindow > 0)
                {
                    return true;
                }

                opened = WindowOpened;
            }

            await opened.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // Under Sync: adds to what the client has been allowed again once enough has gathered; the amount to send, or 0.
    private long TakeConnectionCredit(long count)
    {
        _connectionUncredited += count;
        if (_connectionUncredited < ConnectionReceiveWindow / 4)
        {
            return 0;
        }

        var credit = _connectionUncredited;
        _connectionUncredited = 0;
        _connectionReceiveWindow += credit;
        return credit;
    }

    private void SendConnectionCredit(long credit)
    {
        if (credit > 0)
        {
            _ = WriteControlAsync(Http2Frame.WindowUpdate, 0, 0, (uint)credit);
        }
    }

    private async Task SendServerPrefaceAsync()
    {
        var preface = new byte[Http2Frame.HeaderSize + 18 + Http2Frame.HeaderSize + 4];
        var span = preface.AsSpan();
        Http2Frame.WriteHeader(span, 18, Http2Frame.Settings, 0, 0);
        WriteSetting(span[9..], Http2Frame.SettingsMaxConcurrentStreams, _limits.MaxConcurrentStreams);
        WriteSetting(span[15..], Http2Frame.SettingsInitialWindowSize, StreamReceiveWindow);
        WriteSetting(span[21..], Http2Frame.SettingsMaxHeaderListSize, _limits.MaxHeaderListSize);
        span = span[27..];
        Http2Frame.WriteHeader(span, 4, Http2Frame.WindowUpdate, 0, 0);
        BinaryPrimitives.WriteInt32BigEndian(span[9..], ConnectionReceiveWindow - Http2Frame.DefaultWindowSize);
        await WriteLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await SendAllAsync(preface, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            WriteLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[ReceiveBufferSize];
        var filled = 0;
        var prefaceSeen = false;
        while (true)
        {
            var read = await Socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The client closed the connection.");
            }

            filled += read;
            var offset = 0;
            if (!prefaceSeen)
            {
                var preface = Http2Frame.Preface;
                var compared = Math.Min(filled, preface.Length);
                if (!buffer.AsSpan(0, compared).SequenceEqual(preface[..compared]))
                {
                    throw new Http2ConnectionException(Http2Frame.ProtocolError, "The client did not open with the HTTP/2 connection preface (this port speaks HTTP/2 without TLS only).");
                }

                if (filled < preface.Length)
                {
                    continue;
                }

                prefaceSeen = true;
                offset = preface.Length;
            }

            while (filled - offset >= Http2Frame.HeaderSize)
            {
                var (length, type, flags, streamId) = Http2Frame.ReadHeader(buffer.AsSpan(offset));
                if (length > Http2Frame.DefaultMaxFrameSize)
                {
                    throw new Http2ConnectionException(Http2Frame.FrameSizeError, $"A {length}-byte frame; the limit is {Http2Frame.DefaultMaxFrameSize}.");
                }

                if (!_handshakeDone)
                {
                    if (type != Http2Frame.Settings || (flags & Http2Frame.Ack) != 0)
                    {
                        throw new Http2ConnectionException(Http2Frame.ProtocolError, "The client's first frame was not SETTINGS.");
                    }

                    _handshakeDone = true;
                }

                if (filled - offset < Http2Frame.HeaderSize + length)
                {
                    break;
                }

                await ProcessFrameAsync(type, flags, streamId, buffer.AsMemory(offset + Http2Frame.HeaderSize, length)).ConfigureAwait(false);
                offset += Http2Frame.HeaderSize + length;
            }

            StartPendingStreams();

            if (offset > 0)
            {
                buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
                filled -= offset;
            }
        }
    }

    protected override ValueTask OnDataAsync(byte flags, int streamId, ReadOnlyMemory<byte> payload)
    {
        OnData(flags, streamId, payload.Span);
        return ValueTask.CompletedTask;
    }

    // The client's GOAWAY: it is leaving; its open streams finish and it closes the socket.
    protected override void OnGoAway(ReadOnlySpan<byte> payload)
    {
    }

    private void OnData(byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        if (streamId == 0)
        {
            throw new Http2ConnectionException(Http2Frame.ProtocolError, "DATA on stream 0.");
        }

        if (streamId > _lastStreamId)
        {
            throw new Http2ConnectionException(Http2Frame.ProtocolError, $"DATA on stream {streamId}, which was never opened.");
        }

        var frameLength = payload.Length;
        var data = Unpad(flags, payload);
        Http2ServerStream? stream;
        Http2ServerStream? failed = null;
        long connectionCredit = 0;
        var streamError = 0u;
        lock (Sync)
        {
            _connectionReceiveWindow -= frameLength;
            if (_connectionReceiveWindow < 0)
            {
                throw new Http2ConnectionException(Http2Frame.FlowControlError, "The client sent more data than the connection window allows.");
            }

            if (Streams.TryGetValue(streamId, out stream) && !stream.IsReset && !stream.RequestEnded)
            {
                stream.ReceiveWindow -= frameLength;
                if (stream.ReceiveWindow < 0)
                {
                    streamError = Http2Frame.FlowControlError;
                    failed = stream;
                    stream = null;
                    connectionCredit = TakeConnectionCredit(frameLength);
                }
                else
                {
                    stream.ReceivedBytes += data.Length;

                    // Padding is never read by anyone: it is credited back at once.
                    connectionCredit = TakeConnectionCredit(frameLength - data.Length);
                }
            }
            else
            {
                // A stream that ended or was reset: what arrives for it is dropped, and the connection window reopened.
                if (stream is not null && !stream.IsReset)
                {
                    streamError = Http2Frame.StreamClosed;
                    failed = stream;
                }

                stream = null;
                connectionCredit = TakeConnectionCredit(frameLength);
            }
        }

        SendConnectionCredit(connectionCredit);
        if (streamError != 0)
        {
            ResetStream(failed!, streamError);
            return;
        }

        stream?.OnData(data, (flags & Http2Frame.EndStream) != 0);
    }

    protected override void OnHeaders(byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        if (streamId == 0 || (streamId & 1) == 0)
        {
            throw new Http2ConnectionException(Http2Frame.ProtocolError, $"HEADERS on stream {streamId}; client streams have odd ids.");
        }

        if (BeginHeaderBlock(flags, streamId, payload))
        {
            DeliverHeaderBlock();
        }
    }

    protected override void DeliverHeaderBlock()
    {
        // Every block is decoded, even one that will be refused: the dynamic table must follow the client's.
        var fields = DecodeHeaderBlock(_decoder);
        var streamId = HeaderStreamId;
        var endStream = HeaderEndStream;
        Http2ServerStream? existing;
        lock (Sync)
        {
            Streams.TryGetValue(streamId, out existing);
        }

        if (existing is not null)
        {
            // Trailers of the request: they end it, and carry nothing a handler here reads.
            if (!endStream || existing.RequestEnded)
            {
                ResetStream(existing, existing.RequestEnded ? Http2Frame.StreamClosed : Http2Frame.ProtocolError);
            }
            else
            {
                existing.EndRequest();
            }

            return;
        }

        if (streamId <= _lastStreamId)
        {
            return; // a stream already over (reset or answered): late frames for it are ignored
        }

        _lastStreamId = streamId;
        string? refusal = null;
        lock (Sync)
        {
            if (_goingAway || ClosedReason is not null)
            {
                refusal = "shutting down";
            }
            else if (Streams.Count >= _limits.MaxConcurrentStreams)
            {
                refusal = "too many streams";
            }
        }

        if (refusal is not null)
        {
            Http2ServerLog.StreamRefused(_logger, _connectionFeature.ConnectionId, streamId, refusal);
            _ = WriteControlAsync(Http2Frame.RstStream, 0, streamId, Http2Frame.RefusedStream);
            return;
        }

        var problem = ValidateRequestHeaders(fields, out var listSize);
        if (problem is not null)
        {
            Http2ServerLog.MalformedRequest(_logger, _connectionFeature.ConnectionId, streamId, problem);
            _ = WriteControlAsync(Http2Frame.RstStream, 0, streamId, Http2Frame.ProtocolError);
            return;
        }

        var stream = new Http2ServerStream(this, streamId, endStream);
        stream.SetRequestHeaders(fields);
        lock (Sync)
        {
            stream.SendWindow = PeerInitialWindow;
            Streams.Add(streamId, stream);
            _runningHandlers++;
        }

        var application = listSize > _limits.MaxHeaderListSize
            ? (Func<HttpContext, Task>)(context => RefuseOversizeHeaders(context, listSize))
            : _application;

        // Started once the frames already received are processed: a request's DATA usually shares the packet with its
        // HEADERS, and the handler then finds its body waiting instead of suspending for it.
        _pendingStarts.Add((stream, application));
    }

    /// <summary>Starts the handlers of the requests whose headers came in this read: each runs inline until it first waits.</summary>
    private void StartPendingStreams()
    {
        if (_pendingStarts.Count == 0)
        {
            return;
        }

        foreach (var (stream, application) in _pendingStarts)
        {
            _ = RunStreamAsync(stream, application);
        }

        _pendingStarts.Clear();
    }

    private Task RefuseOversizeHeaders(HttpContext context, int listSize)
    {
        context.Response.ContentType = Protocol.GrpcProtocol.ContentType;
        Server.GrpcServerStatus.WriteTrailersOnly(context.Response, StatusCode.ResourceExhausted,
            $"The request headers total {listSize} bytes; the limit is {_limits.MaxHeaderListSize}.", trailers: null);
        return Task.CompletedTask;
    }

    private async Task RunStreamAsync(Http2ServerStream stream, Func<HttpContext, Task> application)
    {
        var features = new FeatureCollection(10);
        features.Set<IHttpRequestFeature>(stream);
        features.Set<IHttpResponseFeature>(stream);
        features.Set<IHttpResponseBodyFeature>(stream);
        features.Set<IRequestBodyPipeFeature>(stream);
        features.Set<IHttpResponseTrailersFeature>(stream);
        features.Set<IHttpRequestLifetimeFeature>(stream);
        features.Set<IHttpRequestBodyDetectionFeature>(stream);
        features.Set<IHttpResetFeature>(stream);
        features.Set<IHttpConnectionFeature>(_connectionFeature);
        var context = new DefaultHttpContext(features);
        var services = new RequestServicesFeature(context, _scopeFactory);
        features.Set<IServiceProvidersFeature>(services);
        try
        {
            try
            {
                await application(context).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Http2ServerLog.HandlerFailed(_logger, _connectionFeature.ConnectionId, stream.Path, ex);
                if (stream.HeadersSent)
                {
                    ResetStream(stream, Http2Frame.InternalError);
                }
                else
                {
                    stream.StatusCode = StatusCodes.Status500InternalServerError;
                    stream.ResponseHeaders.Clear();
                    stream.Trailers.Clear();
                }
            }

            try
            {
                await stream.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Http2ServerLog.HandlerFailed(_logger, _connectionFeature.ConnectionId, stream.Path, ex);
                ResetStream(stream, Http2Frame.InternalError);
            }

            EndStream(stream);
            await stream.FinishAsync().ConfigureAwait(false);
            await services.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            lock (Sync)
            {
                _runningHandlers--;
            }

            CheckDrained();
        }
    }

    /// <summary>The handler is done: the stream stops counting, and request bytes it never read are credited back.</summary>
    private void EndStream(Http2ServerStream stream)
    {
        bool earlyResponse;
        bool closeNow;
        long connectionCredit;
        lock (Sync)
        {
            Streams.Remove(stream.Id);
            connectionCredit = ClosedReason is null ? TakeConnectionCredit(stream.ReceivedBytes - stream.ObservedBytes) : 0;

            // Answered before the client finished its request: RST_STREAM(NO_ERROR) tells it to stop sending.
            earlyResponse = ClosedReason is null && !stream.IsReset && !stream.RequestEnded;
            closeNow = _goingAway && Streams.Count == 0;
            if (Streams.Count == 0)
            {
                _idleSince = Environment.TickCount64;
            }
        }

        if (earlyResponse)
        {
            stream.MarkReset(new IOException("The response ended before the request."));
            _ = WriteControlAsync(Http2Frame.RstStream, 0, stream.Id, Http2Frame.NoError);
        }

        SendConnectionCredit(connectionCredit);
        if (closeNow)
        {
            Close(new IOException("The server shut the connection down."));
        }
    }

    private static string? ValidateRequestHeaders(List<(string Name, string Value)> fields, out int listSize)
    {
        listSize = 0;
        var regularSeen = false;
        string? method = null, scheme = null, path = null;
        var authoritySeen = false;
        foreach (var (name, value) in fields)
        {
            listSize += name.Length + value.Length + 32;
            if (name.Length == 0)
            {
                return "an empty header name";
            }

            if (name[0] == ':')
            {
                if (regularSeen)
                {
                    return $"pseudo-header {name} after a regular header";
                }

                switch (name)
                {
                    case ":method" when method is null:
                        method = value;
                        break;
                    case ":scheme" when scheme is null:
                        scheme = value;
                        break;
                    case ":path" when path is null:
                        path = value;
                        break;
                    case ":authority" when !authoritySeen:
                        authoritySeen = true;
                        break;
                    default:
                        return $"pseudo-header {name} repeated or not allowed in a request";
                }

                continue;
            }

            regularSeen = true;
            foreach (var c in name)
            {
                if (c is >= 'A' and <= 'Z' or <= ' ' or >= '\u007f' or ':')
                {
                    return $"header name '{name}' is not a lower-case token";
                }
            }

            if (name is "connection" or "keep-alive" or "proxy-connection" or "transfer-encoding" or "upgrade")
            {
                return $"connection-specific header '{name}'";
            }

            if (name == "te" && value != "trailers")
            {
                return "te other than 'trailers'";
            }

            if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            {
                return $"header '{name}' has a line break or NUL in its value";
            }
        }

        if (method is null || scheme is null || string.IsNullOrEmpty(path))
        {
            return "a request without :method, :scheme or :path";
        }

        if (path[0] != '/')
        {
            return ":path does not start with '/'";
        }

        return null;
    }

    protected override void OnReset(int streamId, ReadOnlySpan<byte> payload)
    {
        if (streamId == 0)
        {
            throw new Http2ConnectionException(Http2Frame.ProtocolError, "RST_STREAM on stream 0.");
        }

        if (payload.Length != 4)
        {
            throw new Http2ConnectionException(Http2Frame.FrameSizeError, "Malformed RST_STREAM.");
        }

        if (streamId > _lastStreamId)
        {
            throw new Http2ConnectionException(Http2Frame.ProtocolError, $"RST_STREAM on stream {streamId}, which was never opened.");
        }

        Http2ServerStream? stream;
        lock (Sync)
        {
            Streams.TryGetValue(streamId, out stream);
            SignalWindow();
        }

        // The handler is cancelled; the stream keeps counting against the limit until it has finished.
        var code = BinaryPrimitives.ReadUInt32BigEndian(payload);
        stream?.MarkReset(new IOException($"The client reset the stream ({Http2Frame.ErrorName(code)})."));
    }

    protected override void OnWindowUpdate(int streamId, ReadOnlySpan<byte> payload)
    {
        if (payload.Length != 4)
        {
            throw new Http2ConnectionException(Http2Frame.FrameSizeError, "Malformed WINDOW_UPDATE.");
        }

        var increment = BinaryPrimitives.ReadInt32BigEndian(payload) & int.MaxValue;
        Http2ServerStream? failed = null;
        lock (Sync)
        {
            if (streamId == 0)
            {
                if (increment == 0)
                {
                    throw new Http2ConnectionException(Http2Frame.ProtocolError, "WINDOW_UPDATE with an increment of 0.");
                }

                ConnectionSendWindow += increment;
                if (ConnectionSendWindow > int.MaxValue)
                {
                    throw new Http2ConnectionException(Http2Frame.FlowControlError, "The connection window grew past 2^31-1.");
                }
            }
            else if (streamId > _lastStreamId)
            {
                throw new Http2ConnectionException(Http2Frame.ProtocolError, $"WINDOW_UPDATE on stream {streamId}, which was never opened.");
            }
            else if (Streams.TryGetValue(streamId, out var stream))
            {
                stream.SendWindow += increment;
                if (increment == 0 || stream.SendWindow > int.MaxValue)
                {
                    failed = stream;
                }
            }

            SignalWindow();
        }

        if (failed is not null)
        {
            ResetStream(failed, Http2Frame.FlowControlError);
        }
    }

    private byte[] EncodeResponseHeaders(Http2ServerStream stream)
    {
        var block = new List<byte>(128);
        var status = stream.StatusCode;
        if (status == StatusCodes.Status200OK)
        {
            HpackEncoder.WriteIndexed(block, HpackStaticTable.Status200);
        }
        else
        {
            HpackEncoder.WriteLiteral(block, HpackStaticTable.StatusName, (uint)status < (uint)StatusStrings.Length ? StatusStrings[status] : status.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var (name, values) in stream.ResponseHeaders)
        {
            if (Http2Frame.IsConnectionSpecific(name))
            {
                continue;
            }

            var isContentType = name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase);
            foreach (var value in values)
            {
                if (value is null)
                {
                    continue;
                }

                if (isContentType)
                {
                    HpackEncoder.WriteLiteral(block, HpackStaticTable.ContentTypeName, value);
                }
                else
                {
                    HpackEncoder.WriteLiteral(block, name, value);
                }
            }
        }

        return block.ToArray();
    }

    private static byte[] EncodeTrailers(IHeaderDictionary trailers)
    {
        var block = new List<byte>(64);
        foreach (var (name, values) in trailers)
        {
            foreach (var value in values)
            {
                if (value is not null)
                {
                    HpackEncoder.WriteLiteral(block, name, value);
                }
            }
        }

        return block.ToArray();
    }

    /// <summary>Timer: a client that never finishes its handshake, or keeps a connection open with nothing on it, is let go.</summary>
    private void CheckTimeouts()
    {
        var now = Environment.TickCount64;
        if (!_handshakeDone)
        {
            if (now - _startedAt > _limits.HandshakeTimeout.TotalMilliseconds)
            {
                Http2ServerLog.Timeout(_logger, _connectionFeature.ConnectionId, "the HTTP/2 preface and SETTINGS did not arrive in time");
                Close(new IOException("The client did not complete the HTTP/2 handshake in time."));
            }

            return;
        }

        bool idle;
        lock (Sync)
        {
            // Every open stream has a running handler, so none running means none open.
            idle = ClosedReason is null && !_goingAway && _runningHandlers == 0
                && now - _idleSince > _limits.IdleTimeout.TotalMilliseconds;
        }

        if (idle)
        {
            Http2ServerLog.Timeout(_logger, _connectionFeature.ConnectionId, "no stream for the idle timeout");
            _ = ShutdownAsync();
        }
    }

    protected override void OnClosing() => _timer.Dispose();

    private void CheckDrained()
    {
        lock (Sync)
        {
            if (ClosedReason is null || _runningHandlers > 0)
            {
                return;
            }
        }

        _drained.TrySetResult();
    }

}
