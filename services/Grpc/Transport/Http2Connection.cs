using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;

namespace SlmCluster.Grpc.Transport;

/// <summary>A stream's share of the send flow control, as both ends keep it.</summary>
internal interface IHttp2SendWindow
{
    /// <summary>What this side may still send on the stream (guarded by the connection's lock).</summary>
    long SendWindow { get; set; }
}

/// <summary>
/// What both ends of an h2c connection share: the socket and its write lock, the send windows and the settings
/// that shape them, header blocks gathered across CONTINUATION frames, and writing control frames.
/// </summary>
internal abstract class Http2Connection<TStream>
    where TStream : class, IHttp2SendWindow
{
    /// <summary>Largest header block gathered from the peer; beyond it the connection ends (ENHANCE_YOUR_CALM).</summary>
    protected const int MaxHeaderBlockSize = 256 * 1024;

    private TaskCompletionSource _windowOpened = NewSignal();

    protected Http2Connection(Socket socket) => Socket = socket;

    protected Socket Socket { get; }

    /// <summary>Held while frames are written, so frames of different streams never interleave mid-frame.</summary>
    protected SemaphoreSlim WriteLock { get; } = new(1, 1);

    /// <summary>Guards the windows, the settings and the subclasses' stream tables.</summary>
    protected object Sync { get; } = new();

    // Guarded by Sync.
    protected int PeerInitialWindow { get; private set; } = Http2Frame.DefaultWindowSize;

    protected int PeerMaxFrameSize { get; private set; } = Http2Frame.DefaultMaxFrameSize;

    protected long ConnectionSendWindow { get; set; } = Http2Frame.DefaultWindowSize;

    /// <summary>Completes when a window opens (or the connection closes); read under <see cref="Sync"/>.</summary>
    protected Task WindowOpened => _windowOpened.Task;

    // Read loop only: the header block being gathered.
    protected int HeaderStreamId { get; private set; }

    protected bool HeaderEndStream { get; private set; }

    protected bool IsGatheringHeaders => _headerBlock is not null;

    private byte[]? _headerBlock;
    private int _headerBlockLength;

    /// <summary>The open streams by id (guarded by <see cref="Sync"/>).</summary>
    protected Dictionary<int, TStream> Streams { get; } = [];

    /// <summary>Why the connection closed; null while it is open (guarded by <see cref="Sync"/>).</summary>
    protected Exception? ClosedReason { get; private set; }

    /// <summary>
    /// Ends the connection for <paramref name="reason"/> (the first reason given stays): wakes the window waiters and
    /// shuts the socket, which ends the read loop and with it the streams still open. Idempotent.
    /// </summary>
    protected void Close(Exception reason)
    {
        lock (Sync)
        {
            if (ClosedReason is not null)
            {
                return;
            }

            ClosedReason = reason;
            SignalWindow();
        }

        OnClosing();
        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        Socket.Dispose();
    }

    /// <summary>Once, as the connection closes, before the socket goes: timers and the like stop here.</summary>
    protected virtual void OnClosing()
    {
    }

    /// <summary>Under <see cref="Sync"/>: the peer's SETTINGS_MAX_CONCURRENT_STREAMS.</summary>
    protected virtual void OnPeerMaxConcurrentStreams(uint value)
    {
    }

    /// <summary>Under <see cref="Sync"/>: wakes everyone waiting for a window.</summary>
    protected void SignalWindow()
    {
        var opened = _windowOpened;
        _windowOpened = NewSignal();
        opened.TrySetResult();
    }

    /// <summary>Under <see cref="Sync"/>: as much of <paramref name="wanted"/> as both windows allow, taken from them.</summary>
    protected int TakeSendWindow(IHttp2SendWindow stream, long wanted)
    {
        var count = (int)Math.Max(0, Math.Min(wanted, Math.Min(ConnectionSendWindow, stream.SendWindow)));
        ConnectionSendWindow -= count;
        stream.SendWindow -= count;
        return count;
    }

    /// <summary>Read loop: one whole frame, checked for what holds on both ends, then handed to the side that knows its streams.</summary>
    protected async ValueTask ProcessFrameAsync(byte type, byte flags, int streamId, ReadOnlyMemory<byte> payload)
    {
        if (IsGatheringHeaders && (type != Http2Frame.Continuation || streamId != HeaderStreamId))
        {
            throw new Http2ConnectionException(Http2Frame.ProtocolError, "A header block was interrupted by another frame.");
        }

        switch (type)
        {
            case Http2Frame.Data:
                await OnDataAsync(flags, streamId, payload).ConfigureAwait(false);
                break;
            case Http2Frame.Headers:
                OnHeaders(flags, streamId, payload.Span);
                break;
            case Http2Frame.Continuation:
                if (ContinueHeaderBlock(flags, payload.Span))
                {
                    DeliverHeaderBlock();
                }

                break;
            case Http2Frame.Priority:
                if (streamId == 0 || payload.Length != 5)
                {
                    throw new Http2ConnectionException(streamId == 0 ? Http2Frame.ProtocolError : Http2Frame.FrameSizeError, "Malformed PRIORITY.");
                }

                break; // advice on ordering, which this side does not follow
            case Http2Frame.RstStream:
                OnReset(streamId, payload.Span);
                break;
            case Http2Frame.Settings:
                await ApplySettingsAsync(flags, streamId, payload).ConfigureAwait(false);
                break;
            case Http2Frame.Ping:
                if (payload.Length != 8 || streamId != 0)
                {
                    throw new Http2ConnectionException(payload.Length != 8 ? Http2Frame.FrameSizeError : Http2Frame.ProtocolError, "Malformed PING.");
                }

                if ((flags & Http2Frame.Ack) == 0)
                {
                    await WriteFrameAsync(Http2Frame.Ping, Http2Frame.Ack, 0, payload).ConfigureAwait(false);
                }

                break;
            case Http2Frame.GoAway:
                if (streamId != 0 || payload.Length < 8)
                {
                    throw new Http2ConnectionException(streamId != 0 ? Http2Frame.ProtocolError : Http2Frame.FrameSizeError, "Malformed GOAWAY.");
                }

                OnGoAway(payload.Span);
                break;
            case Http2Frame.WindowUpdate:
                OnWindowUpdate(streamId, payload.Span);
                break;
            case Http2Frame.PushPromise:
                throw new Http2ConnectionException(Http2Frame.ProtocolError, "PUSH_PROMISE, which this side never allows.");
            default:
                break; // unknown frame types are ignored, as the protocol requires
        }
    }

    /// <summary>Read loop: a DATA frame (padding included in <paramref name="payload"/>).</summary>
    protected abstract ValueTask OnDataAsync(byte flags, int streamId, ReadOnlyMemory<byte> payload);

    /// <summary>Read loop: a HEADERS frame, which opens a header block.</summary>
    protected abstract void OnHeaders(byte flags, int streamId, ReadOnlySpan<byte> payload);

    /// <summary>Read loop: a header block is complete (<see cref="DecodeHeaderBlock"/> reads it).</summary>
    protected abstract void DeliverHeaderBlock();

    protected abstract void OnReset(int streamId, ReadOnlySpan<byte> payload);

    /// <summary>Read loop: the peer's GOAWAY (at least 8 bytes: last stream id, error code).</summary>
    protected abstract void OnGoAway(ReadOnlySpan<byte> payload);

    protected abstract void OnWindowUpdate(int streamId, ReadOnlySpan<byte> payload);

    /// <summary>Applies a SETTINGS frame's values (not an ACK), then acknowledges it.</summary>
    protected async ValueTask ApplySettingsAsync(byte flags, int streamId, ReadOnlyMemory<byte> payload)
    {
        if (streamId != 0)
        {
            throw new Http2ConnectionException(Http2Frame.ProtocolError, "SETTINGS on a stream.");
        }

        if ((flags & Http2Frame.Ack) != 0 ? payload.Length != 0 : payload.Length % 6 != 0)
        {
            throw new Http2ConnectionException(Http2Frame.FrameSizeError, "Malformed SETTINGS.");
        }

        if ((flags & Http2Frame.Ack) != 0)
        {
            return;
        }

        lock (Sync)
        {
            for (var i = 0; i < payload.Length; i += 6)
            {
                var id = BinaryPrimitives.ReadUInt16BigEndian(payload.Span[i..]);
                var value = BinaryPrimitives.ReadUInt32BigEndian(payload.Span[(i + 2)..]);
                switch (id)
                {
                    case Http2Frame.SettingsEnablePush when value > 1:
                        throw new Http2ConnectionException(Http2Frame.ProtocolError, "SETTINGS_ENABLE_PUSH other than 0 or 1.");
                    case Http2Frame.SettingsMaxConcurrentStreams:
                        OnPeerMaxConcurrentStreams(value);
                        break;
                    case Http2Frame.SettingsInitialWindowSize:
                        if (value > int.MaxValue)
                        {
                            throw new Http2ConnectionException(Http2Frame.FlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1.");
                        }

                        // A change applies to every open stream's window, up or down.
                        var delta = (int)value - PeerInitialWindow;
                        PeerInitialWindow = (int)value;
                        foreach (var stream in Streams.Values)
                        {
                            stream.SendWindow += delta;
                        }

                        break;
                    case Http2Frame.SettingsMaxFrameSize:
                        if (value < Http2Frame.DefaultMaxFrameSize || value > 16777215)
                        {
                            throw new Http2ConnectionException(Http2Frame.ProtocolError, $"SETTINGS_MAX_FRAME_SIZE {value} is out of range.");
                        }

                        PeerMaxFrameSize = (int)value;
                        break;
                }
            }

            SignalWindow();
        }

        await WriteFrameAsync(Http2Frame.Settings, Http2Frame.Ack, 0, ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
    }

    /// <summary>
    /// Read loop: a HEADERS frame opens a header block (padding and priority fields stripped); true when it is
    /// complete already (END_HEADERS), false when CONTINUATION frames follow.
    /// </summary>
    protected bool BeginHeaderBlock(byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        var fragment = Unpad(flags, payload);
        if ((flags & Http2Frame.PriorityFlag) != 0)
        {
            if (fragment.Length < 5)
            {
                throw new Http2ConnectionException(Http2Frame.FrameSizeError, "HEADERS too short for its priority fields.");
            }

            fragment = fragment[5..];
        }

        HeaderStreamId = streamId;
        HeaderEndStream = (flags & Http2Frame.EndStream) != 0;
        _headerBlockLength = 0;
        _headerBlock = ArrayPool<byte>.Shared.Rent(Math.Max(fragment.Length, 1024));
        AppendHeaderBlock(fragment);
        return (flags & Http2Frame.EndHeaders) != 0;
    }

    /// <summary>Read loop: a CONTINUATION frame; true when it completes the block.</summary>
    protected bool ContinueHeaderBlock(byte flags, ReadOnlySpan<byte> payload)
    {
        if (_headerBlock is null)
        {
            throw new Http2ConnectionException(Http2Frame.ProtocolError, "CONTINUATION without a header block.");
        }

        AppendHeaderBlock(payload);
        return (flags & Http2Frame.EndHeaders) != 0;
    }

    /// <summary>Read loop: decodes the gathered block (every block, in order, so the dynamic table follows the peer's) and lets it go.</summary>
    protected List<(string Name, string Value)> DecodeHeaderBlock(HpackDecoder decoder)
    {
        try
        {
            return decoder.Decode(_headerBlock.AsSpan(0, _headerBlockLength));
        }
        catch (HpackException ex)
        {
            throw new Http2ConnectionException(Http2Frame.CompressionError, ex.Message);
        }
        finally
        {
            ReleaseHeaderBlock();
        }
    }

    protected void ReleaseHeaderBlock()
    {
        if (_headerBlock is { } block)
        {
            _headerBlock = null;
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    protected static ReadOnlySpan<byte> Unpad(byte flags, ReadOnlySpan<byte> payload)
    {
        if ((flags & Http2Frame.Padded) == 0)
        {
            return payload;
        }

        if (payload.Length < 1 || payload[0] >= payload.Length)
        {
            throw new Http2ConnectionException(Http2Frame.ProtocolError, "Padding longer than the frame.");
        }

        return payload[1..^payload[0]];
    }

    protected static void WriteSetting(Span<byte> destination, ushort id, int value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteInt32BigEndian(destination[2..], value);
    }

    protected static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Under the write lock: sends pooled frames and returns the buffer; a failed send closes the connection and is returned.</summary>
    protected async Task<Exception?> TrySendFramesAsync(byte[] frames, int length)
    {
        try
        {
            await SendAllAsync(frames.AsMemory(0, length), CancellationToken.None).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex)
        {
            Close(ex);
            return ex;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frames);
        }
    }

    /// <summary>GOAWAY with <paramref name="errorCode"/> (and a reason for the peer's logs), best effort.</summary>
    protected async Task TrySendGoAwayAsync(int lastStreamId, uint errorCode, string? detail = null)
    {
        var debug = detail is null ? [] : System.Text.Encoding.UTF8.GetBytes(detail.Length > 200 ? detail[..200] : detail);
        var payload = new byte[8 + debug.Length];
        BinaryPrimitives.WriteInt32BigEndian(payload, lastStreamId);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), errorCode);
        debug.CopyTo(payload.AsSpan(8));
        try
        {
            await WriteFrameAsync(Http2Frame.GoAway, 0, 0, payload).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection is being torn down anyway.
        }
    }

    /// <summary>A 4-byte control frame (RST_STREAM, WINDOW_UPDATE) sent on the side; a failure closes the connection.</summary>
    protected Task WriteControlAsync(byte type, byte flags, int streamId, uint value)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, value);
        return WriteOrCloseAsync(type, flags, streamId, payload);
    }

    /// <summary>A control frame sent on the side; a failure closes the connection, which the streams then see.</summary>
    protected async Task WriteOrCloseAsync(byte type, byte flags, int streamId, byte[] payload)
    {
        try
        {
            await WriteFrameAsync(type, flags, streamId, payload).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Close(ex);
        }
    }

    protected async Task WriteFrameAsync(byte type, byte flags, int streamId, ReadOnlyMemory<byte> payload)
    {
        var frame = new byte[Http2Frame.HeaderSize + payload.Length];
        Http2Frame.WriteHeader(frame, payload.Length, type, flags, streamId);
        payload.Span.CopyTo(frame.AsSpan(Http2Frame.HeaderSize));
        await WriteLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await SendAllAsync(frame, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            WriteLock.Release();
        }
    }

    protected async ValueTask SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        await SendAllAsync(Socket, data, cancellationToken).ConfigureAwait(false);

    protected static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    private void AppendHeaderBlock(ReadOnlySpan<byte> fragment)
    {
        if (_headerBlockLength + fragment.Length > MaxHeaderBlockSize)
        {
            throw new Http2ConnectionException(Http2Frame.EnhanceYourCalm, $"A header block exceeds {MaxHeaderBlockSize / 1024} KiB.");
        }

        if (_headerBlockLength + fragment.Length > _headerBlock!.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent((_headerBlockLength + fragment.Length) * 2);
            _headerBlock.AsSpan(0, _headerBlockLength).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_headerBlock);
            _headerBlock = larger;
        }

        fragment.CopyTo(_headerBlock.AsSpan(_headerBlockLength));
        _headerBlockLength += fragment.Length;
    }
}
