using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SlmCluster.Grpc.Transport;

/// <summary>
/// One HTTP/2 connection with prior knowledge (h2c), carrying many concurrent streams. Requests are written by the
/// caller's own thread, whole (headers and body in one send when the windows allow), and one read loop reads every
/// frame and hands each stream its data inline: a message crosses the connection with no thread hand-off on either
/// side, which is what it is for (the gateway relays every token through one).
/// </summary>
internal sealed class Http2ClientConnection : Http2Connection<Http2ClientStream>, IAsyncDisposable
{
    /// <summary>The window this side opens for each stream's response (SETTINGS_INITIAL_WINDOW_SIZE).</summary>
    public const int StreamReceiveWindow = 1024 * 1024;

    /// <summary>The window this side opens for the whole connection.</summary>
    public const int ConnectionReceiveWindow = 16 * 1024 * 1024;

    private const int ReceiveBufferSize = 64 * 1024;

    private readonly string _authority;
    private readonly HpackDecoder _decoder = new();
    private readonly Task _readLoop;
    private readonly Timer _keepAlive;
    private readonly long _pingDelayMs;
    private readonly long _pingTimeoutMs;
    private long _lastReceived = Environment.TickCount64;
    private long _pingSentAt;

    // Guarded by Sync.
    private int _nextStreamId = 1;
    private int _reserved;
    private int _peerMaxConcurrentStreams = 100; // until the server's SETTINGS say otherwise
    private bool _goingAway;

    // Read loop only.
    private int _connectionUnacknowledged;

    private Http2ClientConnection(Socket socket, string authority, TimeSpan pingDelay, TimeSpan pingTimeout)
        : base(socket)
    {
        _authority = authority;
        _pingDelayMs = (long)pingDelay.TotalMilliseconds;
        _pingTimeoutMs = (long)pingTimeout.TotalMilliseconds;
        var period = TimeSpan.FromMilliseconds(Math.Max(10, Math.Min(_pingDelayMs, _pingTimeoutMs) / 4));
        _keepAlive = new Timer(static state => ((Http2ClientConnection)state!).CheckAlive(), this, period, period);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Closed by an error or by the server's GOAWAY once its last stream ended: it takes no new streams.</summary>
    public bool IsClosed
    {
        get
        {
            lock (Sync)
            {
                return ClosedReason is not null || _goingAway;
            }
        }
    }

    /// <summary>Connects, sends the connection preface and this side's settings, and starts reading.</summary>
    /// <param name="pingDelay">With streams open and nothing received for this long, a PING asks whether the server is still there.</param>
    /// <param name="pingTimeout">How long the server has to answer it before the connection is given up (its streams fail as unavailable).</param>
    public static async Task<Http2ClientConnection> ConnectAsync(string host, int port, TimeSpan timeout, TimeSpan pingDelay, TimeSpan pingTimeout,
        CancellationToken cancellationToken)
    {
        var authority = $"{host}:{port}";
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            EndPoint endPoint = IPAddress.TryParse(host.Trim('[', ']'), out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
            try
            {
                await socket.ConnectAsync(endPoint, timeoutSource.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Connecting to {authority} took longer than {timeout.TotalSeconds:0.#} s.");
            }

            var preface = new byte[Http2Frame.Preface.Length + Http2Frame.HeaderSize + 18 + Http2Frame.HeaderSize + 4];
            var span = preface.AsSpan();
            Http2Frame.Preface.CopyTo(span);
            span = span[Http2Frame.Preface.Length..];
            Http2Frame.WriteHeader(span, 18, Http2Frame.Settings, 0, 0);
            WriteSetting(span[9..], Http2Frame.SettingsEnablePush, 0);
            WriteSetting(span[15..], Http2Frame.SettingsInitialWindowSize, StreamReceiveWindow);
            WriteSetting(span[21..], Http2Frame.SettingsMaxHeaderListSize, 64 * 1024);
            span = span[27..];
            Http2Frame.WriteHeader(span, 4, Http2Frame.WindowUpdate, 0, 0);
            BinaryPrimitives.WriteInt32BigEndian(span[9..], ConnectionReceiveWindow - Http2Frame.DefaultWindowSize);
            await SendAllAsync(socket, preface, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            socket.Dispose();
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"Could not connect to {authority}: {ex.Message}", ex);
        }

        return new Http2ClientConnection(socket, authority, pingDelay, pingTimeout);
    }

    /// <summary>Claims room for one more stream; false when the server's limit is reached or the connection is closing.</summary>
    public bool TryReserve()
    {
        lock (Sync)
        {
            if (ClosedReason is not null || _goingAway || _reserved >= _peerMaxConcurrentStreams)
            {
                return false;
            }

            _reserved++;
            return true;
        }
    }

    /// <summary>Sends the request on a stream reserved with <see cref="TryReserve"/> and waits for the response headers.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var stream = new Http2ClientStream(this, request);
        byte[]? body = null;
        try
        {
            var bodyLength = 0;
            if (request.Content is IHttp2BufferedContent prepared)
            {
                body = prepared.Serialize();
                bodyLength = body.Length;
            }
            else if (request.Content is { } content)
            {
                var buffered = new MemoryStream(content.Headers.ContentLength is long known and < int.MaxValue ? (int)known : 256);
                await content.CopyToAsync(buffered, cancellationToken).ConfigureAwait(false);
                body = buffered.GetBuffer();
                bodyLength = (int)buffered.Length;
            }

            var headerBlock = EncodeHeaders(request);
            await StartStreamAsync(stream, headerBlock, body, bodyLength, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Release(stream);
            if (ex is OperationCanceledException || ex is HttpRequestException)
            {
                throw;
            }

            throw new HttpRequestException(HttpRequestError.Unknown, $"Sending the request to {_authority} failed: {ex.Message}", ex);
        }

        using var registration = cancellationToken.UnsafeRegister(static s => ((Http2ClientStream)s!).Abort(), stream);
        try
        {
            return await stream.ResponseTask.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new TaskCanceledException("The request was canceled.", null, cancellationToken);
        }
    }

    public ValueTask DisposeAsync()
    {
        Close(new ObjectDisposedException(nameof(Http2ClientConnection)));
        return new ValueTask(_readLoop);
    }

    /// <summary>Read loop: the stream has ended or was reset; it no longer counts or receives.</summary>
    internal void Forget(Http2ClientStream stream)
    {
        lock (Sync)
        {
            if (Streams.TryGetValue(stream.Id, out var known) && known == stream)
            {
                Streams.Remove(stream.Id);
            }
        }

        Release(stream);
    }

    /// <summary>The caller abandoned the stream: tell the server with RST_STREAM(CANCEL) and forget it.</summary>
    internal void CancelStream(Http2ClientStream stream)
    {
        bool known;
        lock (Sync)
        {
            known = stream.Id != 0 && Streams.Remove(stream.Id);
        }

        Release(stream);
        if (known)
        {
            _ = WriteControlAsync(Http2Frame.RstStream, 0, stream.Id, Http2Frame.Cancel);
        }
    }

    /// <summary>Read loop: a stream-level protocol error; the stream is reset and fails with <paramref name="error"/>.</summary>
    internal void ResetStream(Http2ClientStream stream, uint errorCode, Exception error)
    {
        _ = WriteControlAsync(Http2Frame.RstStream, 0, stream.Id, errorCode);
        stream.Fail(error);
    }

    /// <summary>The caller read <paramref name="count"/> bytes of the stream's body: let the server send that much more.</summary>
    internal void CreditStream(Http2ClientStream stream, int count) =>
        _ = WriteControlAsync(Http2Frame.WindowUpdate, 0, stream.Id, (uint)count);

    private void Release(Http2ClientStream stream)
    {
        if (!stream.TryRelease())
        {
            return;
        }

        bool closeNow;
        lock (Sync)
        {
            _reserved--;
            closeNow = _goingAway && Streams.Count == 0;
        }

        if (closeNow)
        {
            Close(new HttpRequestException(HttpRequestError.ConnectionError, $"{_authority} closed the connection (GOAWAY)."));
        }
    }

    private async Task StartStreamAsync(Http2ClientStream stream, byte[] headerBlock, byte[]? body, int bodyLength, CancellationToken cancellationToken)
    {
        var sent = 0;
        await WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            byte[] frames;
            int length;
            lock (Sync)
            {
                if (ClosedReason is not null || _goingAway)
                {
                    throw new HttpRequestException(HttpRequestError.ConnectionError,
                        $"The connection to {_authority} closed before the request was sent.", ClosedReason);
                }

                // Stream ids go out in increasing order, so the id is taken under the write lock.
                stream.Id = _nextStreamId;
                _nextStreamId += 2;
                stream.SendWindow = PeerInitialWindow;
                Streams.Add(stream.Id, stream);
                sent = TakeSendWindow(stream, bodyLength);
                (frames, length) = Http2FrameBuilder.Build(stream.Id, headerBlock, hasHeaders: true, new ReadOnlySequence<byte>(body.AsMemory(0, sent)),
                    sent == bodyLength, [], hasTrailers: false, PeerMaxFrameSize);
            }

            if (await TrySendFramesAsync(frames, length).ConfigureAwait(false) is { } failure)
            {
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"Sending to {_authority} failed: {failure.Message}", failure);
            }
        }
        finally
        {
            WriteLock.Release();
        }

        // A body larger than the windows: the rest goes as the server opens them.
        while (sent < bodyLength)
        {
            sent += await SendMoreBodyAsync(stream, body!, sent, bodyLength, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<int> SendMoreBodyAsync(Http2ClientStream stream, byte[] body, int offset, int bodyLength, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task opened;
            lock (Sync)
            {
                if (ClosedReason is not null)
                {
                    throw new HttpRequestException(HttpRequestError.ConnectionError, $"The connection to {_authority} closed while the request was sent.", ClosedReason);
                }

                if (stream.IsFinished || stream.IsAborted)
                {
                    return bodyLength - offset; // the server answered or reset already: the rest is not wanted
                }

                if (ConnectionSendWindow > 0 && stream.SendWindow > 0)
                {
                    break;
                }

                opened = WindowOpened;
            }

            await opened.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        await WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            byte[] frames;
            int length;
            int count;
            lock (Sync)
            {
                count = TakeSendWindow(stream, bodyLength - offset);
                if (count <= 0)
                {
                    return 0;
                }

                (frames, length) = Http2FrameBuilder.Build(stream.Id, [], hasHeaders: false, new ReadOnlySequence<byte>(body.AsMemory(offset, count)),
                    offset + count == bodyLength, [], hasTrailers: false, PeerMaxFrameSize);
            }

            if (await TrySendFramesAsync(frames, length).ConfigureAwait(false) is { } failure)
            {
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"Sending to {_authority} failed: {failure.Message}", failure);
            }
            return count;
        }
        finally
        {
            WriteLock.Release();
        }
    }

    private static byte[] EncodeHeaders(HttpRequestMessage request)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        var block = new List<byte>(256);
        if (request.Method == HttpMethod.Post)
        {
            HpackEncoder.WriteIndexed(block, HpackStaticTable.MethodPost);
        }
        else
        {
            HpackEncoder.WriteLiteral(block, HpackStaticTable.MethodName, request.Method.Method);
        }

        HpackEncoder.WriteIndexed(block, HpackStaticTable.SchemeHttp);
        HpackEncoder.WriteLiteral(block, HpackStaticTable.AuthorityName, uri.Authority);
        HpackEncoder.WriteLiteral(block, HpackStaticTable.PathName, uri.PathAndQuery);
        foreach (var (name, values) in request.Headers.NonValidated)
        {
            if (Http2Frame.IsConnectionSpecific(name))
            {
                continue;
            }

            foreach (var value in values)
            {
                HpackEncoder.WriteLiteral(block, name, value);
            }
        }

        if (request.Content is { } content)
        {
            foreach (var (name, values) in content.Headers.NonValidated)
            {
                foreach (var value in values)
                {
                    if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                    {
                        HpackEncoder.WriteLiteral(block, HpackStaticTable.ContentTypeName, value);
                    }
                    else
                    {
                        HpackEncoder.WriteLiteral(block, name, value);
                    }
                }
            }
        }

        return block.ToArray();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[ReceiveBufferSize];
        var filled = 0;
        Exception? error = null;
        try
        {
            while (true)
            {
                var read = await Socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException($"{_authority} closed the connection.");
                }

                filled += read;
                Volatile.Write(ref _lastReceived, Environment.TickCount64);
                Volatile.Write(ref _pingSentAt, 0); // anything the server sends shows it is alive
                var offset = 0;
                while (filled - offset >= Http2Frame.HeaderSize)
                {
                    var (length, type, flags, streamId) = Http2Frame.ReadHeader(buffer.AsSpan(offset));
                    if (length > Http2Frame.DefaultMaxFrameSize)
                    {
                        throw new Http2ConnectionException(Http2Frame.FrameSizeError, $"{_authority} sent a {length}-byte frame; the limit is {Http2Frame.DefaultMaxFrameSize}.");
                    }

                    if (filled - offset < Http2Frame.HeaderSize + length)
                    {
                        break;
                    }

                    await ProcessFrameAsync(type, flags, streamId, buffer.AsMemory(offset + Http2Frame.HeaderSize, length)).ConfigureAwait(false);
                    offset += Http2Frame.HeaderSize + length;
                }

                if (offset > 0)
                {
                    buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
                    filled -= offset;
                }
            }
        }
        catch (Http2ConnectionException ex)
        {
            error = new IOException($"HTTP/2 protocol error from {_authority}: {ex.Message}", ex);
            await TrySendGoAwayAsync(0, ex.ErrorCode).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex is IOException ? ex : new IOException($"The connection to {_authority} failed: {ex.Message}", ex);
        }

        Close(error!);
        lock (Sync)
        {
            // When the connection was given up on purpose (a keep-alive PING unanswered), that is what the calls hear.
            if (ClosedReason is IOException or HttpRequestException)
            {
                error = ClosedReason;
            }
        }

        List<Http2ClientStream> orphans;
        lock (Sync)
        {
            orphans = [.. Streams.Values];
            Streams.Clear();
        }

        foreach (var stream in orphans)
        {
            stream.Fail(StreamError(stream, error!));
        }
    }

    private static Exception StreamError(Http2ClientStream stream, Exception error) =>
        stream.ResponseTask.IsCompleted
            ? error
            : new HttpRequestException(HttpRequestError.ConnectionError, error.Message, error);

    protected override async ValueTask OnDataAsync(byte flags, int streamId, ReadOnlyMemory<byte> payload)
    {
        if (streamId == 0)
        {
            throw new Http2ConnectionException(Http2Frame.ProtocolError, "DATA on stream 0.");
        }

        var frameLength = payload.Length;
        var data = Unpad(flags, payload.Span);
        Http2ClientStream? stream;
        lock (Sync)
        {
            Streams.TryGetValue(streamId, out stream);
        }

        stream?.OnData(data, (flags & Http2Frame.EndStream) != 0);

        // The connection window is reopened as data arrives; each stream's own window bounds what it buffers.
        _connectionUnacknowledged += frameLength;
        if (_connectionUnacknowledged >= ConnectionReceiveWindow / 4)
        {
            var credit = _connectionUnacknowledged;
            _connectionUnacknowledged = 0;
            await WriteControlAsync(Http2Frame.WindowUpdate, 0, 0, (uint)credit).ConfigureAwait(false);
        }
    }

    protected override void OnHeaders(byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        if (streamId == 0)
        {
            throw new Http2ConnectionException(Http2Frame.ProtocolError, "HEADERS on stream 0.");
        }

        if (BeginHeaderBlock(flags, streamId, payload))
        {
            DeliverHeaderBlock();
        }
    }

    protected override void DeliverHeaderBlock()
    {
        // Every block is decoded, even for a forgotten stream: the dynamic table must follow the server's.
        var fields = DecodeHeaderBlock(_decoder);

        Http2ClientStream? stream;
        lock (Sync)
        {
            Streams.TryGetValue(HeaderStreamId, out stream);
        }

        stream?.OnHeaders(fields, HeaderEndStream);
    }

    protected override void OnReset(int streamId, ReadOnlySpan<byte> payload)
    {
        if (payload.Length != 4 || streamId == 0)
        {
            throw new Http2ConnectionException(Http2Frame.ProtocolError, "Malformed RST_STREAM.");
        }

        var code = BinaryPrimitives.ReadUInt32BigEndian(payload);
        Http2ClientStream? stream;
        lock (Sync)
        {
            Streams.TryGetValue(streamId, out stream);
        }

        if (stream is null)
        {
            return;
        }

        var message = $"The server reset the stream ({Http2Frame.ErrorName(code)}).";
        var reset = new HttpProtocolException(code, message, null);
        stream.Fail(stream.ResponseTask.IsCompleted ? reset : new HttpRequestException(HttpRequestError.HttpProtocolError, message, reset));
    }

    protected override void OnGoAway(ReadOnlySpan<byte> payload)
    {
        var lastStreamId = BinaryPrimitives.ReadInt32BigEndian(payload) & int.MaxValue;
        var code = BinaryPrimitives.ReadUInt32BigEndian(payload[4..]);
        List<Http2ClientStream> refused;
        lock (Sync)
        {
            _goingAway = true;
            refused = [.. Streams.Values.Where(s => s.Id > lastStreamId)];
        }

        // Streams past the last one the server took were never processed: safe to send elsewhere.
        foreach (var stream in refused)
        {
            stream.Fail(new HttpRequestException(HttpRequestError.ConnectionError,
                $"{_authority} is going away ({Http2Frame.ErrorName(code)}) and did not process the request."));
        }

        bool idle;
        lock (Sync)
        {
            idle = Streams.Count == 0;
        }

        if (idle)
        {
            throw new IOException($"{_authority} closed the connection (GOAWAY {Http2Frame.ErrorName(code)}).");
        }
    }

    protected override void OnWindowUpdate(int streamId, ReadOnlySpan<byte> payload)
    {
        if (payload.Length != 4)
        {
            throw new Http2ConnectionException(Http2Frame.FrameSizeError, "Malformed WINDOW_UPDATE.");
        }

        var increment = BinaryPrimitives.ReadInt32BigEndian(payload) & int.MaxValue;
        lock (Sync)
        {
            if (streamId == 0)
            {
                ConnectionSendWindow += increment;
            }
            else if (Streams.TryGetValue(streamId, out var stream))
            {
                stream.SendWindow += increment;
            }

            SignalWindow();
        }
    }

    /// <summary>
    /// Timer: a server that vanished without closing the socket (a lost machine, a cut network) would leave its streams
    /// waiting forever; a PING it cannot answer ends them instead.
    /// </summary>
    private void CheckAlive()
    {
        lock (Sync)
        {
            if (ClosedReason is not null || Streams.Count == 0)
            {
                Volatile.Write(ref _pingSentAt, 0);
                return;
            }
        }

        var now = Environment.TickCount64;
        var sentAt = Volatile.Read(ref _pingSentAt);
        if (sentAt != 0)
        {
            if (now - sentAt > _pingTimeoutMs)
            {
                Close(new IOException($"{_authority} did not answer a keep-alive PING within {_pingTimeoutMs} ms; the connection is given up."));
            }

            return;
        }

        if (now - Volatile.Read(ref _lastReceived) >= _pingDelayMs)
        {
            Volatile.Write(ref _pingSentAt, now);
            _ = WriteOrCloseAsync(Http2Frame.Ping, 0, 0, new byte[8]);
        }
    }

    protected override void OnClosing() => _keepAlive.Dispose();

    protected override void OnPeerMaxConcurrentStreams(uint value) => _peerMaxConcurrentStreams = (int)Math.Min(value, int.MaxValue);
}
